# Fuzzing (issues 18, 19): the hypothesis tests `make test` runs with small counts (fixed seeds),
# run at scale. LINK_LS_FUZZ_EXAMPLES sets every fuzz test's example count (default 10000):
#   make fuzz                          10,000 cases each
#   make fuzz FUZZ_EXAMPLES=200000     more
# Each test prints hypothesis' statistics; the summary lists "N passing" per test.
FUZZ_EXAMPLES ?= 10000
FUZZ_TESTS := tests/lsp/test_fuzz.py tests/merge/test_fuzz.py tests/merge/test_properties.py \
	tests/cli/test_hostile.py tests/analysis/test_fast_paths.py tests/pipeline/test_incremental.py
FUZZ_LOG := $(VENV)/fuzz.log

.PHONY: fuzz

fuzz: $(STAMP)
	@echo "== fuzz: $(FUZZ_EXAMPLES) cases per test (LINK_LS_FUZZ_EXAMPLES); log in $(FUZZ_LOG)"
	@LINK_LS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest $(FUZZ_TESTS) -q \
		-p no:cacheprovider --timeout=0 --hypothesis-show-statistics > $(FUZZ_LOG) 2>&1; \
	status=$$?; \
	grep -E "passed|failed|error" $(FUZZ_LOG) | tail -n 1; \
	echo "== fuzz counts (hypothesis: passing / failing / invalid cases per test)"; \
	grep -E "^tests/.*::.*:$$|passing" $(FUZZ_LOG) | sed 's/^ *- /    /'; \
	exit $$status
