# JupyterLab extension (issue 17): build editor-clients/jupyterlab into link_ls/labextension
# (the bundle a wheel ships as share/jupyter/labextensions/link-ls) and link it into the venv's
# Jupyter data folder, as `jupyter labextension develop` would, so tests/clients/jupyterlab run
# against the source. npm ci only when the lock file changed; a rebuild when a source changed.
# Under CI=true every failure fails `make test`; locally it only warns and the tests skip.
JLEXT_DIR := editor-clients/jupyterlab
JLEXT_OUT := link_ls/labextension
JLEXT_SRC := $(wildcard $(JLEXT_DIR)/src/*.ts) $(wildcard $(JLEXT_DIR)/style/*) $(wildcard $(JLEXT_DIR)/schema/*) \
	$(JLEXT_DIR)/package.json $(JLEXT_DIR)/tsconfig.json $(JLEXT_DIR)/scripts/build-labextension.mjs
JLEXT_NPM_STAMP := $(JLEXT_DIR)/node_modules/.link-ls-ci
JLEXT_BUILT := $(JLEXT_OUT)/static/style.js
JLEXT_LINK := $(VENV)/share/jupyter/labextensions/link-ls
JLEXT_FAIL = { if [ "$(CI)" = "true" ]; then echo "jupyterlab-ext: $(1) failed (CI=true)"; exit 1; \
	else echo "jupyterlab-ext: warning: $(1) failed; the JupyterLab extension tests will skip"; fi; }

TEST_PREREQS += jupyterlab-ext

.PHONY: jupyterlab-ext

jupyterlab-ext: $(JLEXT_BUILT)
	@if [ -f $(JLEXT_BUILT) ]; then \
		mkdir -p $(dir $(JLEXT_LINK)) && rm -rf $(JLEXT_LINK) && \
		ln -s $(abspath $(JLEXT_OUT)) $(JLEXT_LINK) && \
		$(BIN)/jupyter labextension list 2>&1 | grep -q 'link-ls.*enabled.*OK' \
		|| $(call JLEXT_FAIL,linking the extension into $(JLEXT_LINK)); \
	fi

$(JLEXT_NPM_STAMP): $(JLEXT_DIR)/package-lock.json
	@command -v npm >/dev/null || $(call JLEXT_FAIL,finding npm)
	cd $(JLEXT_DIR) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.link-ls-ci \
		|| $(call JLEXT_FAIL,npm ci)

$(JLEXT_BUILT): $(JLEXT_NPM_STAMP) $(JLEXT_SRC) $(STAMP)
	@if [ -f $(JLEXT_NPM_STAMP) ]; then \
		cd $(JLEXT_DIR) && PATH=$(abspath $(BIN)):$$PATH npm run --silent build:prod >/dev/null \
		&& echo "jupyterlab-ext: built $(JLEXT_OUT)" \
		|| $(call JLEXT_FAIL,building the extension); \
	else $(call JLEXT_FAIL,building the extension); fi
