# Benchmarks (issue 8): measurements, not tests, so not part of `make test`; tests/test_bench_smoke.py
# runs the smoke mode so the bench cannot rot. Optional: SAM=<sam of a throwaway venv> adds the
# `sam build` anchors of the packaging row (see docs/benchmarks.md).
.PHONY: bench bench-smoke

bench: package ## Measure every issue-8 row vs its anchor (< 10 min) into docs/benchmarks.md + .png [SAM=...]
	$(PY) -m bench $(if $(SAM),--sam $(SAM))

bench-smoke: package ## The bench in ~30-60 s with tiny counts, into .cache/bench-smoke (figures meaningless)
	$(PY) -m bench --smoke --out .cache/bench-smoke
