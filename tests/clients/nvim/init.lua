-- Test config for real headless Neovim: the plugin from this repo, jupytext.nvim's way of
-- opening notebooks (emulated below: GitHub is out of reach here), and, when
-- LINK_LS_NVIM_OUT is set, the scenario that records what the editor saw.
--
--   nvim --headless --clean -u tests/clients/nvim/init.lua FILE.ipynb

local here = vim.fs.dirname(vim.fs.normalize(debug.getinfo(1, "S").source:sub(2)))
local repo = vim.fs.normalize(here .. "/../../..")
local venv_bin = repo .. "/.venv/bin/"

vim.opt.runtimepath:prepend(repo .. "/editor-clients/neovim")
vim.o.swapfile = false
vim.o.shortmess = vim.o.shortmess .. "F"

-- jupytext.nvim's behaviour: BufReadCmd shows `x.ipynb` as percent text (buffer keeps its
-- .ipynb name, filetype python); BufWriteCmd converts back with --update so outputs and
-- metadata of the notebook on disk are kept.
local jupytext = os.getenv("LINK_LS_JUPYTEXT") or (venv_bin .. "jupytext")
local group = vim.api.nvim_create_augroup("jupytext_emulation", { clear = true })

local function sibling(path)
  return vim.fs.dirname(path) .. "/." .. vim.fs.basename(path) .. ".jupytext.py"
end

vim.api.nvim_create_autocmd("BufReadCmd", {
  group = group,
  pattern = "*.ipynb",
  callback = function(ev)
    local path = vim.fn.fnamemodify(ev.match, ":p")
    -- like jupytext.nvim, convert to a file beside the notebook: jupytext finds its config
    -- (jupytext.toml, e.g. notebook_metadata_filter) from the output's folder
    local text = sibling(path)
    local res = vim.system({ jupytext, "--to", "py:percent", "--output", text, path }, { text = true }):wait()
    if res.code ~= 0 then
      vim.notify("jupytext: " .. (res.stderr or ""), vim.log.levels.ERROR)
      return
    end
    local lines = vim.fn.readfile(text)
    os.remove(text)
    vim.api.nvim_buf_set_lines(ev.buf, 0, -1, false, lines)
    vim.bo[ev.buf].modified = false
    vim.bo[ev.buf].filetype = "python"
  end,
})

vim.api.nvim_create_autocmd("BufWriteCmd", {
  group = group,
  pattern = "*.ipynb",
  callback = function(ev)
    local path = vim.fn.fnamemodify(ev.match, ":p")
    local tmp = sibling(path)
    vim.fn.writefile(vim.api.nvim_buf_get_lines(ev.buf, 0, -1, false), tmp)
    local res = vim.system({ jupytext, "--from", "py:percent", "--to", "ipynb", "--update", "--output", path, tmp }, { text = true }):wait()
    os.remove(tmp)
    if res.code ~= 0 then
      vim.notify("jupytext: " .. (res.stderr or ""), vim.log.levels.ERROR)
      return
    end
    vim.bo[ev.buf].modified = false
  end,
})

require("link_ls").setup({
  cmd = { os.getenv("LINK_LS_SERVER") or (venv_bin .. "link-ls"), "serve" },
})

if os.getenv("LINK_LS_NVIM_OUT") then
  vim.api.nvim_create_autocmd("VimEnter", {
    once = true,
    callback = function()
      vim.schedule(function()
        dofile(here .. "/" .. (os.getenv("LINK_LS_NVIM_SCENARIO") or "scenario.lua"))
      end)
    end,
  })
end
