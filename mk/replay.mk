# Replay (cartops/replay.py, docs/reliability.md): archived events back into chosen rules.
.PHONY: replay

# make replay ENV=prod FROM=2030-01-01T10:00:00Z TO=2030-01-01T11:00:00Z [RULE=schedule_reminder,cancel_reminders]
# make replay ENV=local ENDPOINT=<moto URL from make local> FROM=… TO=…   (the local stack's archive)
replay: venv ## Replay a window of the bus archive into rules: make replay ENV=<env> FROM=<time> TO=<time> [RULE=<rule>,…] [ENDPOINT=<local moto URL>]
	@test -n "$(ENV)" -a -n "$(FROM)" -a -n "$(TO)" || { echo "error: usage: make replay ENV=<env> FROM=<ISO time> TO=<ISO time> [RULE=<rule>,...] [ENDPOINT=<local moto URL>]" >&2; exit 2; }
	$(PY) -m cartops.replay --stack "cartflow-$(ENV)" --from "$(FROM)" --to "$(TO)" $(if $(RULE),--rules "$(RULE)") $(if $(ENDPOINT),--endpoint-url "$(ENDPOINT)")
