.PHONY: docs
docs: venv ## Regenerate the README's contract tables from cartflow/contract
	$(PY) tools/readme_tables.py
