# Trace (cartops/trace.py): one request from the API call to the email, across the Scheduler hop.
.PHONY: trace

trace: venv ## One request's timeline: make trace REQUEST=<request id> (local stack) or ENV=<env> (prints the Logs Insights query)
	@test -n "$(REQUEST)" || { echo "error: usage: make trace REQUEST=<request id> [ENV=<env>] [WORKDIR=.local]" >&2; exit 2; }
	$(PY) -m cartops.trace "$(REQUEST)" $(if $(filter-out local,$(ENV)),--stack "cartflow-$(ENV)") $(if $(WORKDIR),--workdir "$(WORKDIR)")
