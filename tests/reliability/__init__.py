"""Issue 7's reliability suite: six failure scenarios against the local stack, with measured figures.

`make reliability` runs them at full size (``python -m tests.reliability``) and rewrites the table
in docs/reliability.md; `make test` runs a small size of each (tests/reliability/test_reliability.py).
"""
