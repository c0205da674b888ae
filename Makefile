# Set-up and everyday commands.  A fresh machine needs only Python 3.11+, make, and
# (for the query page's editor and the browser tests) npm and Debian's chromium.
#
#   make serve   install into .venv, then serve the shipped data on http://127.0.0.1:8000/
#                from a persistent store in var/store (made on the first run)
#   make test    install into .venv (and chromium if missing), then run the whole test suite

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: serve test setup assets system-deps lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

setup: $(STAMP) assets

# Front-end libraries (the query editor) come from npm and are copied into
# kgraph/static/vendor/ (never committed); without them the query page is a plain editor.
assets: $(STAMP)
	@if [ -f package.json ] && command -v npm >/dev/null 2>&1; then \
		$(BIN)/python -m kgraph.web.pages.assets install || \
		echo "assets: npm install failed; the query page will be a plain editor"; \
	else \
		echo "assets: npm or package.json missing; the query page will be a plain editor"; \
	fi

# Debian packages: libseccomp2 (the sandboxes' network filter, see
# kgraph/engine/isolation.py), for the browser tests chromium and CJK fonts so that
# screenshots show Japanese, and Virtuoso 7 for tests/test_virtuoso_backend.py (the -bin
# package: the server and isql-vt, without the service that prompts for passwords)
# (installed only when missing; needs root or sudo).
DEBS := libseccomp2 chromium fonts-noto-cjk virtuoso-opensource-7-bin
system-deps:
	@missing=$$(for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		echo "system-deps: installing $$missing"; \
		$$SUDO apt-get update -qq && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# The demo serves a persistent store (var/store), made from the shipped data on the
# first run, so that the staff area (/staff) can publish to it; staff tokens are read
# from var/staff-accounts (`.venv/bin/kgraph staff-token NAME --file var/staff-accounts`).
# `rm -rf var/store` starts again from the shipped data.
STORE  ?= var/store
serve: setup
	@test -e $(STORE)/current || $(BIN)/kgraph load --store $(STORE)
	$(BIN)/python server.py --store $(STORE) --staff-accounts var/staff-accounts

# Three pytest workers on the two cores of the reference machine: the suite is bound by CPU
# (the machine 1-4% idle with three or more), and three overlap the waits on servers,
# sandboxes and budgets without the contention of more (measured the same hour: 258 and
# 255 s with three, 263-286 s with four, 293 s with six, 286 s with two).  Each test file
# stays on one worker, in order (module fixtures keep state: a store that tests publish
# into one after the other).
# Bytecode is written even where the environment says not to (PYTHONDONTWRITEBYTECODE):
# the suite starts hundreds of Python processes (servers, sandboxes, the CLI) and each
# pytest worker imports every test module, and without .pyc files each compiles its
# sources again (collection alone took 6.7 s of CPU instead of 2.7 s per worker).
test: setup system-deps
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n 3 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) kgraph/static/vendor node_modules .pytest_cache
