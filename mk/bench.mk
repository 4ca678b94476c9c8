# Benchmarks: measurements, not tests, so not part of `make test`; tests/e2e/test_bench_smoke.py
# runs the smoke mode so the bench cannot rot. Optional: SAM=<sam of a throwaway venv> adds the
# `sam build` anchors of the packaging row (see docs/benchmarks.md).
.PHONY: bench bench-smoke

bench: venv package ## Measure every row against its anchor into docs/benchmarks.md + .png [SAM=...]
	$(PY) -m bench $(if $(SAM),--sam $(SAM))

bench-smoke: venv package ## The bench once with tiny counts (a check that it runs), into .cache/bench-smoke (figures meaningless)
	$(PY) -m bench --smoke --out .cache/bench-smoke
