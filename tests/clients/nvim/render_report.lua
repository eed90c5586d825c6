-- Render a run report (JSON file, argv[1]) with the plugin's run view in real Neovim and
-- write the run split's lines and whether it is shown to argv[2] as JSON.
local report = vim.json.decode(table.concat(vim.fn.readfile(arg[1]), "\n"), { luanil = { object = true } })
local view = require("link_ls.view")
local buf = view.run_report(report)
local out = {
  lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false),
  name = vim.api.nvim_buf_get_name(buf),
  visible = vim.fn.bufwinid(buf) ~= -1,
}
vim.fn.writefile({ vim.json.encode(out) }, arg[2])
