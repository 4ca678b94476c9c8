# Lambda packaging (build.py): one reproducible zip per function plus dist/manifest.json.
.PHONY: package

package: run-venv ## Build dist/<function>.zip for every function (reproducible, incremental) and dist/manifest.json
	$(RUN_PY) build.py
