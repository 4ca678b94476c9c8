# The add rate each AWS quota allows one environment, from the handlers' calls and a dated quota table (cartcapacity, docs/capacity.md).
.PHONY: capacity capacity-doc

CAPACITY_FLAGS = --env "$(ENV)" $(if $(ADDS_PER_SECOND),--adds-per-second $(ADDS_PER_SECOND)) \
	$(if $(PEAK_FACTOR),--peak-factor $(PEAK_FACTOR)) $(if $(CART_ITEMS),--cart-items $(CART_ITEMS)) \
	$(if $(BURST),--burst $(BURST))

capacity: venv ## Quotas by path and the first that binds: make capacity [ENV=prod] [ADDS_PER_SECOND=10] [PEAK_FACTOR=1] [CART_ITEMS=1] [BURST=500]
	$(PY) -m cartcapacity $(CAPACITY_FLAGS)

capacity-doc: venv ## Rewrite docs/capacity.md and docs/capacity.png (quotas, first binding per path, the checkout alternatives)
	$(PY) -m cartcapacity --doc --env "$(ENV)"
