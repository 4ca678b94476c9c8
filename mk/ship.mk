# Shipping (cartship, docs/shipping.md): build once, publish, promote the same bytes dev -> staging -> prod.
# Work against AWS with the credentials in the environment, or against moto with AWS_ENDPOINT_URL set.
# CARTSHIP_BUCKET names the artifact bucket: terraform -chdir=terraform/bootstrap output -raw artifact_bucket
.PHONY: publish enter promote status pull smoke pipeline-offline

# DIST: the build to publish; RELEASES: where local copies of manifests go (tests point both elsewhere).
DIST ?= dist
RELEASES ?= releases
SHIP := $(PY) -m cartship --out-dir "$(RELEASES)"

publish: venv ## Upload dist/*.zip under their hashes + a release manifest (prints the release id last)
	$(SHIP) publish --dist "$(DIST)"

enter: venv ## Point dev at a published release: make enter ENV=dev RELEASE=<id>
	$(SHIP) enter --env "$(ENV)" --release "$(RELEASE)"

promote: venv ## Point TO at the exact release FROM runs, after verifying every byte: make promote FROM=dev TO=staging
	$(SHIP) promote --from "$(FROM)" --to "$(TO)" $(if $(EXPECT),--expect "$(EXPECT)")

status: venv ## What an environment runs: release, commit, function hashes, history: make status ENV=prod [VERIFY=1]
	$(SHIP) status --env "$(ENV)" $(if $(VERIFY),--verify)

pull: venv ## Write ENV's verified release manifest to releases/ENV.json (ZIPS=dir: its zips too): make pull ENV=staging
	$(SHIP) pull --env "$(ENV)" $(if $(ZIPS),--zips "$(ZIPS)")

smoke: venv ## Smoke-test ENV after apply: a real POST, the event seen on its bus (or API_URL=... EVENT_BUS=... for any stack)
ifneq ($(API_URL),)
	$(SHIP) smoke --api-url "$(API_URL)" --bus "$(EVENT_BUS)"
else
	@test -n "$(ENV)" -a -f "terraform/environments/$(ENV)/backend.hcl" || { echo "error: unknown environment '$(ENV)' (make smoke ENV=dev|staging|prod)" >&2; exit 1; }
	$(PY) tools/terraform.py -chdir=terraform/environments/$(ENV) output -json | $(SHIP) smoke --terraform-outputs -
endif

# deploy.yml's jobs, each in a fresh clone of HEAD, against a local account (docs/shipping.md,
# "Rehearsing the pipeline"). UNTIL=<job> stops after that job; KEEP=<dir> keeps the workspaces.
pipeline-offline: venv run-venv ## Rehearse deploy.yml job by job offline (fresh workspaces, artifacts, roles) [UNTIL=dev] [KEEP=dir]
	$(PY) -m cartship.rehearsal.pipeline $(if $(UNTIL),--until $(UNTIL)) $(if $(KEEP),--keep $(KEEP))
