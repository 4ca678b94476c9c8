# Monthly cost of one environment from its own settings and a dated price table (cartcost, docs/cost.md).
.PHONY: cost cost-doc

ENV ?= prod
COST_FLAGS = --env "$(ENV)" $(if $(ADDS_PER_MONTH),--adds $(ADDS_PER_MONTH)) $(if $(REMOVES),--removes $(REMOVES)) \
	$(if $(CHECKOUTS),--checkouts $(CHECKOUTS)) $(if $(FREE_TIER),--free-tier)

cost: venv ## Monthly cost by component: make cost [ENV=prod] [ADDS_PER_MONTH=1000000] [REMOVES=...] [CHECKOUTS=...] [FREE_TIER=1]
	$(PY) -m cartcost $(COST_FLAGS)

cost-doc: venv ## Rewrite docs/cost.md and docs/cost.png (REST vs HTTP API, x86_64 vs arm64 per 1M adds)
	$(PY) -m cartcost --doc --env "$(ENV)"
