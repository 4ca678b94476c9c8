# A new consumer in one command (tools/scaffold_consumer.py, docs/consumers.md).
.PHONY: consumer

consumer: venv ## Scaffold a consumer of bus events: make consumer NAME=<name> ON=<DetailType>[,<DetailType>...]
	@test -n "$(NAME)" -a -n "$(ON)" || { echo "error: usage: make consumer NAME=<name> ON=<DetailType>[,...]" >&2; exit 2; }
	$(PY) -m tools.scaffold_consumer --name "$(NAME)" --on "$(ON)"
