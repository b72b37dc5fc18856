# Vigía — the commands a developer or a city needs. `make run` and `make test` set up everything.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CITY ?= godoy-cruz
export PYTHONPATH := $(CURDIR)/functions:$(CURDIR)
# numpy's BLAS threads on a 2-core machine running 2 test workers only contend (the indicators' rank checks)
export OPENBLAS_NUM_THREADS := 1

.PHONY: venv console chromium run run-pair chaos sql backfill-lake test test-unit test-integration test-e2e test-browser console-shots lint format bench package sam deploy console-deploy admin token clean redrive indicators city cad-key

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt requirements-lake.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -r requirements-lake.txt
	@touch $(STAMP)

# The console's browser libraries (console/package.json, pinned by console/package-lock.json) from the npm
# registry, copied into console/vendor/ (git-ignored); the console serves nothing from a CDN.
CONSOLE_STAMP := console/vendor/.installed
console: $(CONSOLE_STAMP)  ## install the console's pinned browser libraries into console/vendor/

$(CONSOLE_STAMP): console/package.json console/package-lock.json
	@command -v npm >/dev/null || (apt-get update && apt-get install -y nodejs npm)
	npm ci --prefix console --ignore-scripts --no-audit --no-fund --loglevel=error
	rm -rf console/vendor && mkdir -p console/vendor/maplibre-gl console/vendor/axe-core
	cp console/node_modules/maplibre-gl/dist/maplibre-gl.mjs console/node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs \
	  console/node_modules/maplibre-gl/dist/maplibre-gl-shared.mjs console/node_modules/maplibre-gl/dist/maplibre-gl.css \
	  console/node_modules/maplibre-gl/LICENSE.txt console/vendor/maplibre-gl/
	cp console/node_modules/axe-core/axe.min.js console/node_modules/axe-core/LICENSE console/vendor/axe-core/
	@touch $(CONSOLE_STAMP)

chromium:  ## Debian's chromium for the browser tests (Playwright's own browser download is not used)
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

run: venv console  ## start the whole stack locally (moto server + local HTTP API + pumps + demo city); CITY=penalolen for another pack
	$(if $(filter command line environment,$(origin CITY)),VIGIA_CITY=$(CITY)) $(PY) -m infra.local.run

run-pair: venv console  ## two local stacks side by side, Godoy Cruz (API :3000) and Peñalolén (:3100), federated with each other; files under .local/<city>/
	$(PY) -m infra.local.pair

# sam: the pinned SAM CLI in .venv-deploy, so the suite runs `sam validate --lint` as a city's deploy would
test: venv console chromium sam  ## the whole suite: unit, integration, e2e on the local stack, the console in Chromium
	$(PY) -m pytest -n 2 --dist loadfile -q --durations=20

test-unit: venv
	$(PY) -m pytest -q tests/unit

test-integration: venv
	$(PY) -m pytest -q tests/integration

test-e2e: venv
	$(PY) -m pytest -q tests/e2e

test-browser: venv console chromium  ## the console in Chromium against the local stack (tests/browser)
	$(PY) -m pytest -q tests/browser

console-shots: venv console chromium  ## the browser tests, writing a screenshot of each page to docs/console/
	VIGIA_CONSOLE_SHOTS=1 $(PY) -m pytest -q tests/browser

lint: venv  ## ruff, ruff format --check, mypy, cfn-lint, the layering contracts (.importlinter)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy functions infra
	$(VENV)/bin/cfn-lint template.yaml
	$(VENV)/bin/lint-imports

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

redrive: venv  ## move dead letters back to their queue: QUEUE=dispatch|sms|siren|webhook|silent|federation (default all); CLOUD=1 CITY=x for a deployed stack
	$(PY) -m infra.tools.redrive $(or $(QUEUE),all) $(if $(CLOUD),--cloud $(if $(filter command line environment,$(origin CITY)),--city $(CITY)),)

sql: venv  ## DuckDB over the local lake (the running stack's LakeBucket, mirrored to .local/lake/), Glue's table names; Q="…" runs one query
	@$(PY) -m infra.tools.lake_sql $(if $(Q),--query "$(Q)")

backfill-lake: venv  ## the lake partitions of past local days on the running local stack: FROM=YYYY-MM-DD TO=YYYY-MM-DD
	$(PY) -m infra.tools.backfill_lake --from "$(FROM)" --to "$(TO)"

indicators: venv  ## indicators of past days on the running local stack: DATE=YYYY-MM-DD or FROM= TO= (default yesterday)
	$(PY) -m infra.tools.indicators $(if $(DATE),--date $(DATE)) $(if $(FROM),--from $(FROM)) $(if $(TO),--to $(TO))

chaos: venv  ## faults on every hop of a fresh local stack, then a count (docs/reliability.md): N=1000 RATE=0.2 [SEED=…]; exits 1 on a lost alert, a silent leak or a duplicate the provider gap does not explain
	$(PY) -m infra.tools.chaos --alerts $(or $(N),1000) --rate $(or $(RATE),0.2) $(if $(SEED),--seed $(SEED))

bench: venv console chromium  ## print performance figures (never pass/fail on time); the functions' logs go to .local/logs/
	$(PY) -m bench $(BENCH)

package: venv  ## the Lambda zips for linux arm64 (pip --platform, no Docker): .build/vigia.zip and the lake's .build/lake.zip; prints both sizes, fails past 60 MB unzipped
	$(PY) -m infra.tools.package --city $(CITY)
	$(PY) -m infra.tools.package --city $(CITY) --lake

# The SAM CLI, pinned in requirements-deploy.txt, in an environment of its own: aws-sam-cli pins boto3 and
# click to other versions than requirements.txt, so it cannot share .venv. Only `make deploy` (or `make sam`)
# installs it, never `make test`. SAM=sam uses one already on the PATH instead.
DEPLOY_VENV := .venv-deploy
SAM ?= $(DEPLOY_VENV)/bin/sam
DEPLOY_STAMP := $(DEPLOY_VENV)/.installed

sam: $(DEPLOY_STAMP)  ## install the pinned SAM CLI into .venv-deploy (make deploy does it when missing)

$(DEPLOY_STAMP): requirements-deploy.txt
	@test -x $(DEPLOY_VENV)/bin/python || $(PYTHON) -m venv $(DEPLOY_VENV) || python3 -m venv $(DEPLOY_VENV)
	$(DEPLOY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(DEPLOY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-deploy.txt
	@touch $(DEPLOY_STAMP)

deploy: package $(if $(filter $(DEPLOY_VENV)/bin/sam,$(SAM)),sam)  ## sam deploy --guided the first time; see docs/deploy.md
	CITY_PARAMETERS=$$($(PY) -m infra.tools.city_parameters $(CITY)) && \
	$(SAM) deploy --template-file template.yaml --stack-name vigia-$(CITY) --resolve-s3 \
	  --capabilities CAPABILITY_IAM --parameter-overrides $$CITY_PARAMETERS $(DEPLOY_ARGS)
	$(MAKE) console-deploy CITY=$(CITY)

console-deploy: venv console  ## the deployed city's console: config.json from the stack, console/ to its bucket, CloudFront invalidated (DRY_RUN=1 writes nothing)
	$(PY) -m infra.tools.console_deploy --city $(CITY) $(if $(DRY_RUN),--dry-run)

admin: venv  ## the first admin: EMAIL=… on the running local stack, or CLOUD=1 CITY=x on a deployed one
	$(PY) -m infra.tools.admin "$(EMAIL)" $(if $(CLOUD),--cloud --city $(CITY),)

cad-key: venv  ## the HMAC key a CAD checks signatures with: CAD=<dispatch.other_cads id> (default: the provincial CAD); CLOUD=1 CITY=x for a deployed stack; docs/deploy.md section 6
	@$(PY) -m infra.tools.cad_key $(or $(CAD),provincial) $(if $(CLOUD),--cloud --city $(CITY),)

token: venv  ## an ID token of the running local stack's demo user: ROLE=citizen|operator|police|response_team|analyst|admin
	@$(PY) -m infra.tools.id_token $(or $(ROLE),citizen)

city: venv  ## a new city pack from its block polygons: NAME=<id> BLOCKS=<file> [QUADRANTS= LOCALE= TIME_ZONE= POPULATION= GRID=CxR FORCE=1]; docs/city-pack.md
	$(PY) -m infra.tools.city_builder --name "$(NAME)" --blocks "$(BLOCKS)" $(if $(QUADRANTS),--quadrants "$(QUADRANTS)") \
	  $(if $(LOCALE),--locale $(LOCALE)) $(if $(TIME_ZONE),--time-zone $(TIME_ZONE)) \
	  $(if $(POPULATION),--population $(POPULATION)) $(if $(GRID),--grid $(GRID)) $(if $(OUT),--out "$(OUT)") $(if $(FORCE),--force)

clean:
	rm -rf .build .local .pytest_cache .mypy_cache .ruff_cache
