# Contract compatibility (tools/contract_check.py, docs/consumers.md): may this contract follow BASE's?
.PHONY: contract-check

contract-check: venv ## Classify event schema changes against BASE=<git ref|release id> or ENV's release; fail on a breaking one without a version bump
	@test -n "$(BASE)$(ENV)" || { echo "error: name the base: make contract-check BASE=<git ref or release id> (or ENV=prod)" >&2; exit 1; }
	$(PY) -m tools.contract_check $(if $(BASE),--base "$(BASE)",--env "$(ENV)")
