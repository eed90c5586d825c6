-- Records the link-ls state virtual text before and after "run up to clean" (test_state.py).
local out_path = os.getenv("LINK_LS_STATE_OUT")
vim.wait(30000, function() return require("link_ls").client(0) ~= nil end, 200)
local client = require("link_ls").client(0)
local function marks()
  local out = {}
  for _, m in ipairs(vim.api.nvim_buf_get_extmarks(0, require("link_ls.state").ns, 0, -1, { details = true })) do
    table.insert(out, { line = m[2], text = m[4].virt_text[1][1] })
  end
  return out
end
vim.wait(30000, function() return #marks() == 8 end, 200)
local before = marks()
local done = false
local args = { uri = vim.uri_from_bufnr(0), cell = "clean", mode = "upTo", useCache = false }
client:request("workspace/executeCommand", { command = "link.run", arguments = { args } },
  function() done = true end, 0)
vim.wait(120000, function() return done end, 200)
require("link_ls.state").refresh(client, 0)
vim.wait(10000, function() return vim.json.encode(marks()) ~= vim.json.encode(before) end, 200)
local lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
vim.fn.writefile({ vim.json.encode({ before = before, after = marks(), lines = lines }) }, out_path)
vim.cmd("qa!")
