# Mutation testing (docs/mutation.md): how many wrong versions of the domain code and the handlers
# the fast unit tests notice. Too slow for `make test`; CI runs it weekly and on demand.
.PHONY: mutation

# mutmut runs its type_check_command (mypy) by name, so the venv's tools come first on PATH.
mutation: venv ## Mutation score of cartflow/ and functions/ per file, survivors listed (slow: not part of make test)
	rm -rf mutants
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/mutmut run
	$(PY) tools/mutation_report.py --output .cache/mutation/report.md --fail-under 90
