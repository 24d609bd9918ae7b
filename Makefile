# casework: `make run` starts the whole service; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lock clean assets screenshots pango

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "casework needs Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	@$(MAKE) --no-print-directory pango
	@touch $(STAMP)

# WeasyPrint (the case file's PDF) draws text with Debian's Pango: installed when missing
# if we are root, else the command to run is printed (the rest of casework runs without it).
PANGO := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
pango:
	@if ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0'; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get install -y --no-install-recommends $(PANGO); \
	else echo "The case file's PDF needs Pango: sudo apt-get install -y $(PANGO)"; fi

# GOV.UK Frontend, MOJ Frontend, Swagger UI, Redoc and axe-core, pinned with their
# npm integrity hashes in api/web/assets.json; fetched once into api/web/static/vendor/.
assets: $(STAMP)
	$(BIN)/python -m api.web.assets fetch

run: $(STAMP) assets
	$(if $(DEMO),$(BIN)/casework demo,)
	$(BIN)/casework run

test: $(STAMP) assets
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/mypy domain services workflows api deploy
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site
	$(BIN)/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

# Benchmarks (not part of `make test`): results in bench/results/, about 20 minutes.
bench: $(STAMP)
	$(BIN)/python -m bench.run

# Regenerates the lock after a change to the ranges in pyproject.toml.
lock: $(STAMP)
	$(BIN)/pip freeze --exclude-editable | grep -v '^casework' > constraints.txt

# PNGs of each role's main pages (1280 px; My work and a case also at 320 px), named by
# role and page, in docs/screenshots/ for the docs to show (needs Chromium).
screenshots: $(STAMP) assets
	$(BIN)/python -m tests.web.screenshots docs/screenshots

clean:
	rm -rf $(VENV) .pytest_cache
