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

.PHONY: venv run test test-unit test-integration test-e2e lint format bench package deploy clean redrive indicators

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

run: venv  ## start the whole stack locally (moto server + local HTTP API + pumps + demo city)
	$(PY) -m infra.local.run

test: venv  ## the whole suite: unit, integration, e2e on the local stack
	$(PY) -m pytest -n 2 --dist loadfile -q

test-unit: venv
	$(PY) -m pytest -q tests/unit

test-integration: venv
	$(PY) -m pytest -q tests/integration

test-e2e: venv
	$(PY) -m pytest -q tests/e2e

lint: venv  ## ruff, ruff format --check, mypy, cfn-lint, the layering contracts (.importlinter)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy functions infra
	$(VENV)/bin/cfn-lint template.yaml
	$(VENV)/bin/lint-imports

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

redrive: venv  ## move dead letters back to their queue: QUEUE=dispatch|sms|siren|webhook (default all); CLOUD=1 CITY=x for a deployed stack
	$(PY) -m infra.tools.redrive $(or $(QUEUE),all) $(if $(CLOUD),--cloud --city $(CITY),)

indicators: venv  ## indicators of past days on the running local stack: DATE=YYYY-MM-DD or FROM= TO= (default yesterday)
	$(PY) -m infra.tools.indicators $(if $(DATE),--date $(DATE)) $(if $(FROM),--from $(FROM)) $(if $(TO),--to $(TO))

bench: venv  ## print performance figures (never pass/fail on time); the functions' logs go to .local/logs/
	$(PY) -m bench $(BENCH)

package: venv  ## Lambda zip for linux arm64 (pip --platform, no Docker); prints its size, fails past 60 MB unzipped
	$(PY) -m infra.tools.package --city $(CITY)

deploy: package  ## sam deploy --guided the first time; see README "Deploying a partner city"
	sam deploy --template-file template.yaml --stack-name vigia-$(CITY) --resolve-s3 \
	  --capabilities CAPABILITY_IAM --parameter-overrides CityId=$(CITY) $(DEPLOY_ARGS)

clean:
	rm -rf .build .local .pytest_cache .mypy_cache .ruff_cache
