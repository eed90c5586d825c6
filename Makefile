# The two commands a newcomer runs: `make demo` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test lint typecheck unit clean

# Editor clients add their own set-up (npm builds, editors, browsers) as prerequisites
# of `unit` through TEST_PREREQS in mk/*.mk, so `make test` installs what its tests need.
TEST_PREREQS :=
-include mk/*.mk

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

DEMO_CACHE := $(VENV)/demo-cache

demo: $(STAMP)
	rm -rf $(DEMO_CACHE)
	@echo "== link-ls check: the example pipeline (Link format) and a plain notebook"
	$(BIN)/link-ls check examples/pipeline.ipynb examples/plain.ipynb
	@echo "== link-ls graph: declared edges, with what flows along each"
	$(BIN)/link-ls graph examples/pipeline.ipynb
	@echo "== link-ls graph --format mermaid: edges inferred for a plain notebook"
	$(BIN)/link-ls graph examples/plain.ipynb --format mermaid
	@echo "== link-ls run --to evaluate: evaluate's ancestors run in a real kernel (report does not)"
	$(BIN)/link-ls run examples/pipeline.ipynb --to evaluate --cache-all --cache-dir $(DEMO_CACHE)
	@echo "== the same run again: cached components are restored instead of executed"
	$(BIN)/link-ls run examples/pipeline.ipynb --to evaluate --cache-all --cache-dir $(DEMO_CACHE)

lint: $(STAMP)
	$(BIN)/ruff check link_ls tests benchmarks examples
	$(BIN)/ruff format --check link_ls tests benchmarks examples
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy --strict link_ls

unit: $(STAMP) $(TEST_PREREQS)
	$(BIN)/python -m pytest

test: lint typecheck unit

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
