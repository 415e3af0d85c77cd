# Two commands on a fresh Debian machine: `make up` runs lastseat, `make test` tests it;
# `make down` (from another terminal) stops what `make up` started.
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup up down test lint unit bench chaos chaos-cluster proto web-words screenshots clean cluster cluster-down cluster-test

setup:
	@scripts/setup

up: setup
	$(BIN)/lastseat up

# No setup first: stopping installs nothing. Says so when no stack is up.
down:
	$(BIN)/lastseat down

# App hosts and a highly available PostgreSQL (etcd, Patroni, HAProxy) as network
# namespaces (root only; docs/deployment.md); `make cluster-down` stops it.
# Both hold the machine's interfaces lock (tests/support/interfaces.py) while namespaces
# come and go, so a browser test elsewhere on the machine is not aborted by them.
cluster: setup
	$(BIN)/python -m tests.support.interfaces $(BIN)/lastseat cluster up

cluster-down:
	$(BIN)/python -m tests.support.interfaces $(BIN)/lastseat cluster down

# Just the cluster's tests (also part of `make test`, which runs as root).
cluster-test: setup
	$(BIN)/pytest -q -s tests/cluster

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

# The suites in two workers, each test file whole in one (a file's fixtures are shared);
# then the firewall's replay of every request the others' suites made the app accept
# (tests/stack/test_firewall.py), which needs them all finished. A plain `pytest` runs
# everything in one process, the replay last.
RECORDINGS := $(CURDIR)/var/test-recordings
REPLAY := tests/stack/test_firewall.py::test_every_request_the_api_and_e2e_suites_made_passes_the_firewall

test: setup lint
	rm -rf $(RECORDINGS)
	LASTSEAT_TEST_RECORDINGS=$(RECORDINGS) $(BIN)/pytest -n 2 --dist loadfile --deselect $(REPLAY)
	LASTSEAT_TEST_RECORDINGS=$(RECORDINGS) $(BIN)/pytest $(REPLAY)

unit: setup
	$(BIN)/pytest tests/unit

# Regenerate the gRPC code from proto/ (committed; a test checks it is current).
proto: setup
	$(BIN)/python -m grpc_tools.protoc -Iproto --python_out=src --pyi_out=src \
		--grpc_python_out=src proto/lastseat/v1/booking.proto

# Write web/js/server-words.js, the server's words and name rule for the web client
# (committed; a test checks it is current).
web-words: setup
	$(BIN)/python -m lastseat.entrypoints.web_words

# The README's screenshots: the browser test that takes them, writing into docs/.
screenshots: setup
	LASTSEAT_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(BIN)/pytest -q tests/browser/test_screens.py

# Ten minutes of kills and restarts under retrying buyers, then the audit (docs/chaos.md).
chaos: setup
	$(BIN)/python -m tests.chaos

# Host faults on `lastseat cluster` (root; its own names and /24): kill -9 / link cut /
# partial partition of the primary, loss of the synchronous standby, kill -9 of an app host.
chaos-cluster: setup
	$(BIN)/python -m tests.chaos --cluster

# Every bench script in one run, then one table of every measure with its ceiling, target
# and met / not met (docs/benchmarks.md); `make bench QUICK=1`: the short run, for a
# developer's loop. Results under var/bench/.
bench: setup
	$(BIN)/python bench/report.py $(if $(QUICK),--quick)

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
