"""The reliability scenarios: failure cases run against the local stack, with measured figures.

`make reliability` runs them at full size (``python -m reliability``) and rewrites the table in
docs/reliability.md; `make test` runs a small size of each (tests/e2e/test_reliability.py). Like
bench/, this is a measuring tool, so it lives beside the tests rather than inside them.
"""
