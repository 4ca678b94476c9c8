# Known-vulnerability audit of every lock (root, local runtime, checkov, each function).
# It needs the PyPI JSON API or OSV, which GitHub's runners reach (ci.yml runs it); these
# development machines reach only a package mirror, so `make test` cannot include it.
.PHONY: audit

audit: venv ## pip-audit every hash-pinned lock; fails on any known vulnerability
	@for lock in $(LOCKS); do \
	  echo "== $$lock"; \
	  $(BIN)/pip-audit --strict --require-hashes --disable-pip --progress-spinner off -r $$lock || exit 1; \
	done
