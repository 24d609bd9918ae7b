# casework: `make run` starts the whole service; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lock clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "casework needs Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(if $(DEMO),$(BIN)/python -m services.demo_data,)
	$(BIN)/python -m deploy.run

test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/pytest $(PYTEST_ARGS)

# Benchmarks (not part of `make test`): results in bench/results/, about 5 minutes.
bench: $(STAMP)
	$(BIN)/python -m bench.run

# Regenerates the lock after a change to the ranges in pyproject.toml.
lock: $(STAMP)
	$(BIN)/pip freeze --exclude-editable | grep -v '^casework' > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache
