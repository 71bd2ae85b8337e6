# 政策通 — `make run` starts the bot on the embedded defaults, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
PY      := $(VENV)/bin/python
RASA    := $(VENV)/bin/rasa
# .python-version selects 3.10 through pyenv; fall back to any python3.10 on PATH.
PYTHON  ?= $(shell (command -v pyenv >/dev/null && pyenv which python 2>/dev/null) || command -v python3.10)

# Embedded defaults: SQLite files under var/, local action server. Override in the environment.
export RASA_TELEMETRY_ENABLED := false
export RASA_PORT ?= 5005
export ACTION_PORT ?= 5055
export ACTION_SERVER_URL ?= http://127.0.0.1:$(ACTION_PORT)/webhook
export DATABASE_URL ?= sqlite:///$(CURDIR)/var/policies.db
export TRACKER_DB_URL ?= sqlite:///$(CURDIR)/var/tracker.db
# Loopback only by default; set RASA_HOST=0.0.0.0 (behind TLS, see README「安全」) to expose it.
export RASA_HOST ?= 127.0.0.1
export ACTION_HOST ?= 127.0.0.1
export TF_CPP_MIN_LOG_LEVEL ?= 2

MODEL := models/zct.tar.gz

.PHONY: help setup kb model run shell test test-fast nlu-eval bench clean browser-deps

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt
	@test -n "$(PYTHON)" || { echo "需要 Python 3.10（pyenv install 3.10.13）"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip<25" wheel
	$(PY) -m pip install -q -r requirements-dev.txt -c constraints.txt
	$(RASA) telemetry disable >/dev/null
	@# Rasa sends crash reports to Sentry whenever its package ships a key, whatever the telemetry
	@# setting says: empty the key file so nothing can phone home.
	echo '{}' > "$$($(PY) -c 'import os, rasa; print(os.path.join(os.path.dirname(rasa.__file__), "keys"))')"
	touch $@

# Chart.js for the admin console's charts (npm registry, checksum-pinned; never committed).
# Without it the analytics page still shows its tables.
bot/web/static/vendor/chart.umd.js: bot/web/fetch_static.sh
	bash bot/web/fetch_static.sh || echo "warning: chart.js not fetched; admin charts fall back to tables"

setup: $(VENV)/.installed bot/web/static/vendor/chart.umd.js ## create the venv, install pinned dependencies, fetch chart.js

kb: setup ## migrate the database and import the policy files
	mkdir -p var
	$(PY) -m bot kb validate
	$(PY) -m bot kb import --actor setup --why "make kb"

model: setup ## train the Rasa model (skipped when data and config are unchanged)
	$(RASA) train --fixed-model-name zct --out models --data data/nlu data/rules --quiet

# Tokens for Rasa's HTTP API and the action server, made once per checkout (mode 600) unless
# the environment gives RASA_AUTH_TOKEN / ACTION_SERVER_TOKEN.
var/rasa-auth-token var/action-token:
	@mkdir -p var
	@umask 077; python3 -c 'import secrets; print(secrets.token_hex(32))' > $@

run: kb model var/rasa-auth-token var/action-token ## start the action server and the Rasa server (REST, WeChat, console)
	@echo "政策通 starting on http://$(RASA_HOST):$(RASA_PORT) (loopback unless RASA_HOST is set) — chat with: make shell"
	@echo "  Rasa HTTP API token: var/rasa-auth-token (or RASA_AUTH_TOKEN); to face a network read README「安全」"
	@export RASA_AUTH_TOKEN="$${RASA_AUTH_TOKEN:-$$(cat var/rasa-auth-token)}" \
	        ACTION_SERVER_TOKEN="$${ACTION_SERVER_TOKEN:-$$(cat var/action-token)}"; \
	trap 'kill %1 2>/dev/null' EXIT; \
	$(PY) -m bot.action_server --host $(ACTION_HOST) --port $(ACTION_PORT) & \
	$(RASA) run -m $(MODEL) -i $(RASA_HOST) --port $(RASA_PORT) --enable-api --auth-token "$$RASA_AUTH_TOKEN" \
	  --credentials credentials.yml --endpoints endpoints.yml

shell: setup ## chat with the running bot in the terminal
	$(PY) -m bot chat --url http://127.0.0.1:$(RASA_PORT)

nlu-eval: model ## intent macro-F1 and entity accuracy on the three held-out sets, per style (fails below 0.90)
	$(PY) -m bot nlu-eval --model $(MODEL) --data tests/nlu_heldout tests/nlu_blind tests/nlu_blind2 --min-f1 0.90

browser-deps: ## Debian chromium + fonts-noto-cjk for the browser tests (apt when missing)
	bash scripts/browser_deps.sh

test: kb model browser-deps ## every test: unit, integration (real servers), browser, NLU evaluation
	$(PY) -m pytest -q
	$(MAKE) --no-print-directory nlu-eval

test-fast: setup ## unit tests only (no model, no servers)
	$(PY) -m pytest -q -m "not integration"

bench: kb model ## performance figures (matcher, bot, WeChat, consoles)
	$(PY) bench/bench_match.py
	$(PY) bench/bench_bot.py
	$(PY) bench/bench_wechat.py
	$(PY) bench/bench_console.py
	$(PY) bench/bench_security.py

clean: ## remove trained models and local databases
	rm -rf models var .pytest_cache
