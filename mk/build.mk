# Lambda packaging (build.py): one reproducible zip per function plus dist/manifest.json.
.PHONY: package

package: venv ## Build dist/<function>.zip for every function (reproducible, incremental) and dist/manifest.json
	$(PY) build.py
