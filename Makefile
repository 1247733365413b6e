# Everyday commands. `make help` lists them. Everything runs from the local
# .venv and node_modules that `make install` creates; nothing is installed globally.
SHELL := /bin/bash
.DEFAULT_GOAL := help

ENV ?= dev
PY := .venv/bin/python
CDKTF := npx --no-install cdktf
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CHECKPOINT_DISABLE := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help install synth validate test unit lint format security bench diff deploy destroy \
        down rehearse rollback bootstrap plan-summary diagram clean containers-setup containers \
        screenshot status logs exec recover unlock doctor adopt purge state-versions state-restore rehearse-faults

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

.venv/.installed: requirements.txt requirements-dev.txt
	python3 -m venv .venv
	.venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# checkov pins an old boto3 that clashes with moto, so it gets a venv of its own.
.venv-security/.installed: requirements-security.txt
	python3 -m venv .venv-security
	.venv-security/bin/pip install --quiet --disable-pip-version-check -r requirements-security.txt
	touch $@

# The three installs are independent: they run side by side.
install: ## Create the venvs with pinned deps and install cdktf-cli locally
	@$(MAKE) --no-print-directory -j3 .venv/.installed node_modules/.installed .venv-security/.installed

synth: install ## Synthesize every stack into cdktf.out/stacks/<stack>/cdk.tf.json
	$(PY) main.py

validate: install ## terraform validate every aws-only stack, offline
	$(PY) -m tools.review.validate

test: install ## The full check suite that CI runs (lint, unit, apps, validate, security, containers, e2e)
	scripts/check

unit: install ## Fast tests only (no emulator rehearsal, no containers)
	$(PY) -m pytest -m "not e2e and not containers" -q -n auto --dist worksteal

lint: install ## ruff format check + ruff lint + mypy --strict (pyproject.toml), zizmor + actionlint on .github/
	.venv/bin/ruff format --check .
	.venv/bin/ruff check .
	.venv/bin/mypy
	scripts/lint-workflows

format: install ## Format and autofix with ruff
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

security: install ## checkov on every synthesized stack (see docs/security.md)
	$(PY) -m tools.review.security

bench: install ## Dev synth side by side with plain cdktf and an AWS CDK peer, then the tests (docs/performance.md)
	$(PY) -m tools.perf.bench

# --- The real images on a local Docker engine (see docs/containers.md). ---
containers-setup: install ## Say what the container checks will use; provide what is missing (apt-get only as root on Debian)
	$(PY) -m tools.containers setup

containers: install ## Build, push and run both images, check them in Chromium, remove everything
	$(PY) -m tools.containers check

screenshot: install ## Refresh docs/screenshot.png from a real run in Chromium
	$(PY) -m tools.containers check --screenshot docs/screenshot.png

# --- Deploying. With no TARGET, everything goes to the local AWS emulator. ---
diff: install ## cdktf diff of ENV's stacks (TARGET=aws for real AWS)
	$(PY) -m tools.deploy diff --env $(ENV)

deploy: install ## Deploy ENV (default: local emulator, then the app on 127.0.0.1; TARGET=aws for real AWS; AUTO_APPROVE=1 skips the prompt; CI_ROLE=deploy acts as the CI deploy role in the emulator)
	$(PY) -m tools.deploy deploy --env $(ENV) $(if $(AUTO_APPROVE),--auto-approve)

destroy: install ## Destroy ENV's stacks (AUTO_APPROVE=1 skips the prompt on AWS; FORCE_TEARDOWN=1 turns ALB deletion protection off first)
	$(PY) -m tools.deploy destroy --env $(ENV) $(if $(AUTO_APPROVE),--auto-approve) $(if $(FORCE_TEARDOWN),--disable-protection)

status: install ## What each service of ENV runs: tasks, revision, image, deployment, targets, URL (JSON=1 for scripts; TARGET=aws)
	$(PY) -m tools.deploy status --env $(ENV) $(if $(filter 1,$(JSON)),--json)

logs: install ## SERVICE's log lines in ENV, `<time> <task> <line>` (SINCE=10m, FOLLOW=1; TARGET=aws reads CloudWatch Logs)
	$(PY) -m tools.deploy logs --env $(ENV) --service "$(SERVICE)" --since "$(or $(SINCE),10m)" $(if $(filter 1,$(FOLLOW)),--follow)

exec: install ## Run CMD (default sh) in a task of SERVICE: docker exec locally, ECS Exec with TARGET=aws
	$(PY) -m tools.deploy exec --env $(ENV) --service "$(SERVICE)" --cmd "$(or $(CMD),sh)"

rollback: install ## Redeploy ENV's previous release VERSION from its image tags still in ECR (no build; refused if absent)
	$(PY) -m tools.deploy.rollback --env $(ENV) $(if $(VERSION),--version $(VERSION)) $(if $(AUTO_APPROVE),--auto-approve)

down: install ## Stop the served containers and the local emulator
	$(PY) -m tools.deploy down

rehearse: install ## One-shot for ENV: emulator up, apply, re-plan to zero, destroy, emulator down
	$(PY) -m tools.rehearsal --env $(ENV)

# --- After an interrupted deploy (docs/recovery.md). TARGET=aws as for deploy. ---
recover: install ## After a crashed deploy/destroy: release stale locks, adopt orphans, delete the rest (AWS: asks unless AUTO_APPROVE=1)
	$(PY) -m tools.recovery recover --env $(ENV) --yes "$(AUTO_APPROVE)"

unlock: install ## Show ENV's state locks, release stale ones (STACK=one stack, FORCE=1 a young one)
	$(PY) -m tools.recovery unlock --env $(ENV) --stack "$(STACK)" --force "$(FORCE)"

doctor: install ## List orphans: resources tagged for ENV that no stack's state holds
	$(PY) -m tools.recovery doctor --env $(ENV)

adopt: install ## Import ENV's orphans at the address their ecs-learn:path tag names (AWS: asks unless AUTO_APPROVE=1)
	$(PY) -m tools.recovery adopt --env $(ENV) --yes "$(AUTO_APPROVE)"

purge: install ## Delete ENV's orphans (AWS: prints the commands unless AUTO_APPROVE=1)
	$(PY) -m tools.recovery purge --env $(ENV) --yes "$(AUTO_APPROVE)"

state-versions: install ## List the saved versions of STACK's state file
	$(PY) -m tools.recovery state-versions --env $(ENV) --stack "$(STACK)"

state-restore: install ## Make VERSION_ID the current state of STACK (AWS: asks unless AUTO_APPROVE=1)
	$(PY) -m tools.recovery state-restore --env $(ENV) --stack "$(STACK)" \
		--version-id "$(VERSION_ID)" --yes "$(AUTO_APPROVE)"

rehearse-faults: install ## Crash deploys on purpose (emulators), recover with the commands above
	$(PY) -m tools.recovery.faults --env $(ENV)

bootstrap: install ## Create the S3 state bucket for ENV (local state)
	$(PY) -m tools.deploy bootstrap --env $(ENV)

plan-summary: install ## Markdown summary of PLAN=path/to/plan.json
	$(PY) -m tools.review.plan_summary $(PLAN)

diagram: install ## Regenerate docs/architecture.md and .ja.md from the synthesized stacks
	$(PY) -m tools.review.diagram

clean: ## Remove build output (keeps the venvs and node_modules)
	rm -rf cdktf.out .cache .terraform-cli .pytest_cache .ruff_cache
