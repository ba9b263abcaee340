# Phòng họp không giấy: `make run` to try it, `make test` to check it.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
NPM    ?= npm
CLIENTS := clients/web clients/display
# Debian packages: LibreOffice converts Office files; Liberation fonts have every
# Vietnamese glyph (watermarks, minutes).
OFFICE_PACKAGES := libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui \
                   fonts-liberation2
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: softhsm run test lint bench bench-meetings bench-meetings-run load clients venv test-deps interop-deps office chromium test-browser \
        screenshots clean help

help:
	@echo "make run    - cài đặt và chạy máy chủ tại http://127.0.0.1:8000 (dữ liệu demo)"
	@echo "make test   - cài phụ thuộc kiểm thử và chạy toàn bộ kiểm thử"
	@echo "make bench  - đo hiệu năng (xem docs/benchmarks.md)"
	@echo "make load   - thử tải một phiên họp đủ 92 máy bằng locust"

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e '.[test,load]'
	touch $@

venv: $(VENV)/.installed
test-deps: $(VENV)/.installed-test

# Each client: its locked npm packages, then an esbuild bundle in dist/.
clients:
	@for c in $(CLIENTS); do \
	  if [ -f $$c/package.json ]; then \
	    echo "building $$c"; \
	    (cd $$c && ( [ -f package-lock.json ] && $(NPM) ci --no-audit --no-fund --loglevel=error \
	                 || $(NPM) install --no-audit --no-fund --loglevel=error ) \
	            && $(NPM) run --silent build) || exit 1; \
	  fi; \
	done

# Installed with apt-get when missing; elsewhere, install LibreOffice by hand.
office:
	@if command -v soffice >/dev/null 2>&1 || command -v libreoffice >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  echo "Cài LibreOffice (chuyển đổi tệp Office sang PDF)..."; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    $(OFFICE_PACKAGES) >/dev/null; \
	else \
	  echo "Không tìm thấy LibreOffice: tệp Office sẽ không chuyển được sang PDF."; \
	fi

# Browser tests drive Debian's Chromium through Playwright (never a downloaded browser).
chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  echo "Cài Chromium (kiểm thử trên trình duyệt)..."; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    chromium >/dev/null; \
	else \
	  echo "Không tìm thấy Chromium: kiểm thử trên trình duyệt sẽ thất bại."; \
	fi

# Signing tests keep the body's key on a PKCS#11 token: SoftHSM2 from Debian.
softhsm:
	@if [ -e /usr/lib/softhsm/libsofthsm2.so ] && command -v softhsm2-util >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  echo "Cài SoftHSM2 (thiết bị ký số giả lập cho kiểm thử)..."; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    softhsm2 >/dev/null; \
	else \
	  echo "Không tìm thấy SoftHSM2: kiểm thử ký số trên thiết bị sẽ thất bại."; \
	fi

interop-deps:
	cd tests/interop && $(NPM) ci --no-audit --no-fund --loglevel=error

run: venv clients office
	$(VENV)/bin/phonghop --log-format text serve --demo

lint: test-deps
	$(VENV)/bin/ruff check collab_server tests load
	$(VENV)/bin/mypy

# Two pytest workers by default (TEST_WORKERS=0: none, as before). One test at
# a time keeps about one of the two cores busy (a test waits on its server,
# PostgreSQL or Chromium, and they on it); a second worker fills the other.
# Each worker runs whole files (--dist loadfile: a module's server and browser
# start once) with its own PostgreSQL, temp folder, Valkey and ports; the
# slowest modules go first (tests/conftest.py, --no-loadscope-reorder).
TEST_WORKERS ?= 2

test: test-deps clients interop-deps office chromium softhsm
	$(VENV)/bin/ruff check collab_server tests load
	$(VENV)/bin/mypy
	@for c in $(CLIENTS); do (cd $$c && $(NPM) test --silent) || exit 1; done
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

test-browser: test-deps clients chromium
	$(PY) -m pytest -q tests/test_browser.py

# Refreshes docs/screenshots/ from a browser test run.
screenshots: test-deps clients chromium
	PHONGHOP_SCREENSHOTS=1 $(PY) -m pytest -q tests/test_browser.py

bench: test-deps clients
	$(PY) load/bench_live.py --json var/bench-live.json
	$(PY) load/bench_documents.py --json var/bench-documents.json
	$(PY) load/bench_pages.py --json var/bench-pages.json
	$(PY) load/bench_scale.py --json var/bench-scale.json
	$(PY) load/bench_votes.py --json var/bench-votes.json
	$(PY) load/bench_logins.py --json var/bench-logins.json
	$(MAKE) bench-meetings-run
	$(PY) load/goals.py

# 100 meetings × 91 laptops on two server processes with Valkey, the load from
# Node (load/peers/meetings.mjs, stock yjs); about four minutes.
bench-meetings: test-deps
	$(MAKE) bench-meetings-run
	$(PY) load/goals.py

bench-meetings-run:
	cd load/peers && { [ -d node_modules/yjs ] || npm ci --no-audit --no-fund --loglevel=error; }
	$(PY) load/bench_meetings.py --json var/bench-meetings.json

# A whole session under locust (92 laptops; see load/README.md). Without URL it
# starts its own demo server; against a deployment, give the rehearsal's
# accounts: make load URL=https://phonghop.example ACCOUNTS=var/rehearsal-accounts.txt PREFIX=dt1a2b3c-
load: test-deps clients
	$(PY) load/run_locust.py $(if $(URL),--url $(URL) --accounts $(or $(ACCOUNTS),var/rehearsal-accounts.txt) --prefix "$(PREFIX)")

clean:
	rm -rf $(VENV) clients/*/node_modules clients/*/dist tests/interop/node_modules
