-- The recorded scenario: wait for the server, collect diagnostics and code lenses, run
-- "Run up to here" through the code lens, open the graph and a diff against a git
-- revision, then write everything the editor showed as JSON and quit.

local out_path = assert(os.getenv("LINK_LS_NVIM_OUT"))
-- the canvas id of the cell to run up to: lenses name cells by it
local target = assert(os.getenv("LINK_LS_RUN_TARGET"))
local rev = os.getenv("LINK_LS_DIFF_REV") or "HEAD~1"
local timeout = tonumber(os.getenv("LINK_LS_TIMEOUT_MS") or "") or 180000

local link = require("link_ls")
local seen = { notifications = {}, progress = {}, steps = {} }
local buf = vim.api.nvim_get_current_buf()

-- what the user would read in the message area
local notify = vim.notify
vim.notify = function(msg, level, opts)
  table.insert(seen.notifications, { message = tostring(msg), level = level })
  return notify(msg, level, opts)
end
vim.api.nvim_create_autocmd("LspProgress", {
  callback = function(ev)
    local v = ev.data.params.value or {}
    table.insert(seen.progress, { kind = v.kind, title = v.title, message = v.message })
  end,
})

local started = vim.uv.hrtime()
local function step(name, ok)
  table.insert(seen.steps, { name = name, ok = ok, at = (vim.uv.hrtime() - started) / 1e9 })
  return ok
end

local function lines_of(name)
  local b = vim.fn.bufnr("link-ls://" .. name)
  if b == -1 then
    return nil, nil
  end
  return vim.api.nvim_buf_get_lines(b, 0, -1, false), b
end

local function has_error_since(n)
  for i = n + 1, #seen.notifications do
    if seen.notifications[i].level == vim.log.levels.ERROR then
      return true
    end
  end
  return false
end

local function scenario()
  seen.buffer = {
    name = vim.api.nvim_buf_get_name(buf),
    filetype = vim.bo[buf].filetype,
    lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false),
  }
  if not step("attach", vim.wait(timeout, function()
    return link.client(buf) ~= nil and link.client(buf).initialized
  end, 100)) then
    return
  end
  local client = link.client(buf)
  seen.server = { name = client.name, commands = (client.server_capabilities.executeCommandProvider or {}).commands }

  step("diagnostics", vim.wait(timeout, function()
    return #vim.diagnostic.get(buf, { namespace = nil }) > 0
  end, 100))
  seen.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(seen.diagnostics, { lnum = d.lnum, col = d.col, code = d.code, message = d.message, source = d.source })
  end

  vim.lsp.codelens.refresh({ bufnr = buf })
  step("codelens", vim.wait(timeout, function()
    return #vim.lsp.codelens.get(buf) > 0
  end, 100))
  seen.lenses = {}
  local run_line
  for _, lens in ipairs(vim.lsp.codelens.get(buf)) do
    local cmd = lens.command or {}
    table.insert(seen.lenses, { line = lens.range.start.line, title = cmd.title, command = cmd.command })
    local args = cmd.arguments and cmd.arguments[1]
    if cmd.command == "link.run" and args and args.mode == "upTo" and args.cell == target then
      run_line = lens.range.start.line
    end
  end
  seen.run_line = run_line

  -- "▶ Run up to here" the way a user does it: cursor on the lens line, run the lens, pick it
  if step("run-lens-found", run_line ~= nil) then
    vim.api.nvim_win_set_cursor(0, { run_line + 1, 0 })
    local select = vim.ui.select
    vim.ui.select = function(items, opts, on_choice)
      seen.lens_choices = vim.tbl_map(opts.format_item or tostring, items)
      for _, item in ipairs(items) do
        if (opts.format_item or tostring)(item):find("Run up to here", 1, true) then
          return on_choice(item)
        end
      end
      on_choice(nil)
    end
    local n = #seen.notifications
    vim.lsp.codelens.run()
    vim.ui.select = select
    step("run", vim.wait(timeout, function()
      local lines = lines_of("run")
      return (lines ~= nil and #lines > 1) or has_error_since(n)
    end, 200))
    seen.run = lines_of("run")
    local _, rb = lines_of("run")
    seen.run_visible = rb ~= nil and vim.fn.bufwinid(rb) ~= -1
  end

  -- :LinkRunCell with the cursor in a cell's body: that cell alone, in the same split
  local load_line
  for i, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    if line:find("rows = [1, 2, 3, 4]", 1, true) then
      load_line = i
    end
  end
  local n = #seen.notifications
  if step("run-cell-line-found", load_line ~= nil) then
    vim.api.nvim_set_current_buf(buf)
    vim.api.nvim_win_set_cursor(0, { load_line, 0 })
    local before = table.concat(lines_of("run") or {}, "\n")
    vim.cmd("LinkRunCell")
    step("run-cell", vim.wait(timeout, function()
      local now = table.concat(lines_of("run") or {}, "\n")
      return now ~= before or has_error_since(n)
    end, 200))
    seen.run_cell = lines_of("run")
  end

  -- :LinkExport without a file: the pipeline JSON in a scratch buffer
  n = #seen.notifications
  vim.cmd("LinkExport")
  step("export", vim.wait(timeout, function()
    return lines_of("export") ~= nil or has_error_since(n)
  end, 100))
  seen.export = lines_of("export")

  -- the graph in its scratch split
  n = #seen.notifications
  vim.cmd("LinkGraph")
  step("graph", vim.wait(timeout, function()
    return lines_of("graph") ~= nil or has_error_since(n)
  end, 100))
  seen.graph = lines_of("graph")

  -- a diff against a git revision, in a diff buffer
  n = #seen.notifications
  vim.api.nvim_set_current_buf(buf)
  vim.cmd("LinkDiff " .. rev)
  step("diff", vim.wait(timeout, function()
    return lines_of("diff/" .. rev) ~= nil or has_error_since(n)
  end, 100))
  local dl, db = lines_of("diff/" .. rev)
  seen.diff = dl
  if db then
    seen.diff_filetype = vim.bo[db].filetype
    seen.diff_visible = vim.fn.bufwinid(db) ~= -1
  end

  -- the history picker: record what it offers, choose nothing
  n = #seen.notifications
  local select = vim.ui.select
  local picked = false
  vim.ui.select = function(items, opts, on_choice)
    seen.history = vim.tbl_map(opts.format_item or tostring, items)
    picked = true
    on_choice(nil)
  end
  vim.cmd("LinkLog")
  step("log", vim.wait(timeout, function()
    return picked or has_error_since(n)
  end, 100))
  vim.ui.select = select

  -- :LinkAddEdge PARENT CHILD: the server edits the buffer, the missing edge (LNK003) is gone
  n = #seen.notifications
  vim.api.nvim_set_current_buf(buf)
  vim.cmd("LinkAddEdge label report")
  step("add-edge", vim.wait(timeout, function()
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      if d.code == "LNK003" then
        return has_error_since(n)
      end
    end
    return true
  end, 100) and not has_error_since(n))
  seen.after_add_edge = vim.tbl_map(function(d)
    return d.code
  end, vim.diagnostic.get(buf))

  -- the user commands the plugin defines
  seen.user_commands = vim.tbl_keys(vim.api.nvim_get_commands({ builtin = false }))
  table.sort(seen.user_commands)
end

local ok, err = xpcall(scenario, debug.traceback)
if not ok then
  seen.error = err
end
local f = assert(io.open(out_path, "w"))
f:write(vim.json.encode(seen))
f:close()
vim.cmd("qa!")
