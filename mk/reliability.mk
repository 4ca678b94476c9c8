# Reliability: the eleven failure scenarios against the local stack, and DLQ redrive.
.PHONY: reliability redrive

reliability: venv package ## Run the eleven reliability scenarios on the local stack and rewrite docs/reliability.md
	$(PY) -m reliability --write docs/reliability.md

# make redrive QUEUE=<dlq name or URL>                       on AWS (StartMessageMoveTask)
# make redrive QUEUE=cartflow-local-reminders-dlq ENDPOINT=<moto URL from make local>   locally
# make redrive QUEUE=<stack>-{async-failures,rule-targets,scheduler}-dlq BUS=<bus name or ARN> [ENDPOINT=...]   the bus's DLQs
redrive: venv ## Move a DLQ's messages back where they failed: make redrive QUEUE=<dlq> [BUS=<bus>] [ENDPOINT=<local moto URL>]
	@test -n "$(QUEUE)" || { echo "error: usage: make redrive QUEUE=<dlq name or URL> [BUS=<bus>] [ENDPOINT=http://127.0.0.1:<port>]" >&2; exit 2; }
	$(PY) -m cartops.redrive "$(QUEUE)" $(if $(ENDPOINT),--endpoint-url $(ENDPOINT)) $(if $(METHOD),--method $(METHOD)) $(if $(BUS),--bus $(BUS))
