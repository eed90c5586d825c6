# Benchmarks (issue 19): `make bench` installs the peers link-ls is measured against (the
# `bench` extra: marimo, nbdime) and runs every benchmark in benchmarks/, printing one table
# (benchmarks/README.md explains each row). Takes ~5 minutes; nbdime's runs are most of it.
BENCH_STAMP := $(VENV)/.bench-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: bench

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	rm -f $(VENV)/.bench-*
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/run_all.py
