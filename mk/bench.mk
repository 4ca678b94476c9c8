# Benchmarks: measurements, not tests, so not part of `make test`. `make bench-smoke` runs
# tests/e2e/test_bench_smoke.py (the bench with tiny counts, its table checked) so the bench cannot
# rot; ci.yml's bench job runs it on every pull request. Optional: SAM=<sam of a throwaway venv>
# adds the `sam build` anchors of the packaging row (see docs/benchmarks.md).
.PHONY: bench bench-smoke

bench: venv package ## Measure every row against its anchor into docs/benchmarks.md + .png [SAM=...]
	$(PY) -m bench $(if $(SAM),--sam $(SAM))

bench-smoke: venv package ## The bench once with tiny counts, its table checked (figures meaningless)
	$(PY) -m pytest -m bench tests/e2e/test_bench_smoke.py
