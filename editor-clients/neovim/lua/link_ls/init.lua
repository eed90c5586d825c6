-- link-ls for Neovim: registers the server for jupytext notebooks and adds the :Link* commands.
--
-- Usage (Neovim >= 0.11):
--   require("link_ls").setup({})            -- defaults below
-- The server attaches only to notebooks: `.ipynb` buffers holding jupytext percent
-- text (how jupytext.nvim presents them) and `.py` files with `# %%` cells.

local M = {}

--- @class link_ls.Config
--- @field cmd string[]            how to start the server
--- @field root_markers string[]   files marking the project root (else the file's folder)
--- @field codelens boolean        show and refresh code lenses
--- @field state boolean           show each component's run state (virtual text, `link.state`)
--- @field commands boolean        define the :Link* user commands
--- @field progress boolean        echo the server's work-done progress
--- @field diff_rev string         revision :LinkDiff compares with when none is given
--- @field init_options table      sent to the server in `initialize`
--- @field run table               link.run executor options: executor, workers, scheduler, store
--- @field on_attach fun(client: vim.lsp.Client, bufnr: integer)|nil
M.defaults = {
  cmd = { "link-ls", "serve" },
  root_markers = { ".git", "pyproject.toml", "setup.cfg" },
  codelens = true,
  state = true,
  commands = true,
  progress = true,
  diff_rev = "HEAD",
  init_options = {},
  -- executor = "serial"|"parallel"|"dask", workers = 4, scheduler = "tcp://host:8786",
  -- store = folder or fsspec URL; nil leaves each to the server's default
  run = { executor = nil, workers = nil, scheduler = nil, store = nil },
  on_attach = nil,
}

--- @type link_ls.Config
M.config = vim.deepcopy(M.defaults)

M.name = "link_ls"

local PERCENT = [[^\s*#\s\?%%]]

--- Whether a buffer holds a notebook the server understands.
--- @param bufnr integer
--- @return boolean
function M.is_notebook(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name:match("%.ipynb$") then
    return true
  end
  if not name:match("%.py$") then
    return false
  end
  -- a .py file is a notebook only when jupytext would see cells in it (as the server does)
  local lines = vim.api.nvim_buf_get_lines(bufnr, 0, math.min(400, vim.api.nvim_buf_line_count(bufnr)), false)
  for _, line in ipairs(lines) do
    if vim.regex(PERCENT):match_str(line) or line:match("^#%s+jupytext:") then
      return true
    end
  end
  return false
end

--- The link-ls client attached to a buffer, if any.
--- @param bufnr integer|nil
--- @return vim.lsp.Client|nil
function M.client(bufnr)
  local clients = vim.lsp.get_clients({ bufnr = bufnr or 0, name = M.name })
  return clients[1]
end

local function refresh_lenses(bufnr)
  if M.config.codelens and vim.api.nvim_buf_is_valid(bufnr) then
    vim.lsp.codelens.refresh({ bufnr = bufnr })
  end
  local client = M.client(bufnr)
  if M.config.state and client then
    require("link_ls.state").refresh(client, bufnr)
  end
end

local function on_attach(client, bufnr)
  if M.config.codelens or M.config.state then
    local group = vim.api.nvim_create_augroup("link_ls_codelens_" .. bufnr, { clear = true })
    vim.api.nvim_create_autocmd({ "BufEnter", "InsertLeave", "TextChanged", "CursorHold" }, {
      group = group,
      buffer = bufnr,
      callback = function()
        refresh_lenses(bufnr)
      end,
    })
    refresh_lenses(bufnr)
  end
  if M.config.on_attach then
    M.config.on_attach(client, bufnr)
  end
end

--- The `vim.lsp.config` table for link-ls.
--- @return vim.lsp.Config
function M.lsp_config()
  local cfg = M.config
  return {
    cmd = cfg.cmd,
    filetypes = { "python" },
    init_options = cfg.init_options,
    -- attach to notebooks only: plain .py files are left to the user's Python server
    root_dir = function(bufnr, on_dir)
      if not M.is_notebook(bufnr) then
        return
      end
      local root = vim.fs.root(bufnr, cfg.root_markers)
      on_dir(root or vim.fs.dirname(vim.api.nvim_buf_get_name(bufnr)))
    end,
    on_attach = on_attach,
  }
end

local function setup_progress()
  local group = vim.api.nvim_create_augroup("link_ls_progress", { clear = true })
  vim.api.nvim_create_autocmd("LspProgress", {
    group = group,
    callback = function(ev)
      local client = vim.lsp.get_client_by_id(ev.data.client_id)
      if not client or client.name ~= M.name then
        return
      end
      local value = ev.data.params.value or {}
      require("link_ls.view").progress(value)
    end,
  })
end

--- Configure and enable link-ls. Safe to call again with new options.
--- @param opts link_ls.Config|nil
function M.setup(opts)
  if vim.fn.has("nvim-0.11") == 0 then
    vim.notify("link-ls: needs Neovim 0.11 or newer (vim.lsp.config)", vim.log.levels.ERROR)
    return
  end
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts or {})
  vim.lsp.config(M.name, M.lsp_config())
  vim.lsp.enable(M.name)
  local cmds = require("link_ls.commands")
  -- code lenses carry server commands; run them here so their results are shown
  cmds.register_client_commands()
  if M.config.commands then
    cmds.create_user_commands()
  end
  if M.config.progress then
    setup_progress()
  end
end

return M
