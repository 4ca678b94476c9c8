# The local runtime (cartlocal): the whole stack on moto, with the real zips under awslambdaric.
# Every target packages first, so it always runs what `make package` (and so Terraform) ships.
.PHONY: demo local invoke invoke-usage event console-assets authz-report authz-corpus authz-mutants

# Optional knobs: make local API_PORT=3000 MOTO_PORT=5000 CONSOLE_PORT=3030 DELAY=30 AUTH=cognito API=http
# SES_SANDBOX=1 QUOTAS=default (SES's sending rate enforced with its 429) (`local` listens on 3000, 5000 and 3030 unless told otherwise; demo and invoke take
# free ports unless given). NO_AUTHZ=1 skips AWS's authorization plane (cartlocal.iam): for
# debugging only, never in tests.
LOCAL_FLAGS = $(if $(MOTO_PORT),--moto-port $(MOTO_PORT)) $(if $(SES_SANDBOX),--ses-sandbox) $(if $(NO_AUTHZ),--no-authz)
RUN_FLAGS = $(if $(API_PORT),--api-port $(API_PORT)) $(if $(DELAY),--delay $(DELAY)) $(if $(API),--api $(API)) $(if $(QUOTAS),--quotas $(QUOTAS))

demo: package ## Run the scripted journey locally (add, bad body, duplicate, remove, email, checkout); exit 0 only if all held
	$(RUN_PY) -m cartlocal.cli $(LOCAL_FLAGS) demo $(RUN_FLAGS)

local: package console-assets ## Keep the local stack up (web console, API, moto endpoint); hot reload; Ctrl-C stops it
	$(RUN_PY) -m cartlocal.cli $(LOCAL_FLAGS) local $(RUN_FLAGS) $(if $(AUTH),--auth $(AUTH)) $(if $(CONSOLE_PORT),--console-port $(CONSOLE_PORT))

# The console's browser assets (htmx, its SSE extension, Pico CSS): `npm ci` installs exactly what
# package-lock.json pins, each tarball checked against its integrity hash; again only when the lock changes.
CONSOLE_DIR := cartlocal/console
$(CONSOLE_DIR)/node_modules/.package-lock.json: $(CONSOLE_DIR)/package-lock.json $(CONSOLE_DIR)/package.json
	@command -v npm >/dev/null || { echo "error: npm is needed for the console's assets (apt-get install npm)" >&2; exit 2; }
	npm ci --prefix $(CONSOLE_DIR) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

console-assets: $(CONSOLE_DIR)/node_modules/.package-lock.json ## Install the web console's assets from cartlocal/console/package-lock.json

invoke: invoke-usage package ## Invoke one function once from its zip: make invoke FUNCTION=<name> EVENT=<file.json>
	$(RUN_PY) -m cartlocal.cli $(LOCAL_FLAGS) invoke "$(FUNCTION)" "$(EVENT)"

# Checked before packaging, so a forgotten argument fails at once.
invoke-usage:
	@test -n "$(FUNCTION)" -a -n "$(EVENT)" || { echo "error: usage: make invoke FUNCTION=<name> EVENT=<file.json> (examples/events/)" >&2; exit 2; }

# make event TYPE=<DetailType or route> [SET="key=value ..."]: stdout is only the JSON (`@`), so
# `make -s event TYPE=ItemAddedToCart > e.json && make invoke FUNCTION=schedule_reminder EVENT=e.json`.
event: run-venv ## Print a valid event or request body from the contract: make event TYPE='POST /cart' [SET="quantity=3"]
	@test -n "$(TYPE)" || { echo "error: usage: make event TYPE=<DetailType or 'METHOD /path'> [SET=\"key=value ...\"]" >&2; exit 2; }
	@$(RUN_PY) -m cartlocal.cli event "$(TYPE)" $(foreach assignment,$(SET),--set '$(assignment)')

authz-corpus: venv ## The evaluator against ../shared/iamcorpus/cases: agreement per suite, out-of-scope reasons, disagreements
	$(PY) -m tests.helpers.iam_corpus

authz-mutants: package ## Realistic policy mistakes, each applied alone: the local journey must fail on every one
	$(RUN_PY) -m cartlocal.iam.mutants

authz-report: package ## Least privilege, measured: the journey without each policy statement in turn, into docs/aws-fidelity.md
	$(RUN_PY) -m cartlocal.iam.least_privilege --write docs/aws-fidelity.md
