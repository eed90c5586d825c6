-- The :Link* user commands: each calls one server command (workspace/executeCommand) and
-- hands the result to link_ls.view. Argument shapes follow the server's docs/commands.md:
-- one JSON object with the document `uri` and the command's own keys.

local M = {}

local function link()
  return require("link_ls")
end

local function view()
  return require("link_ls.view")
end

local PERCENT = vim.regex([[^\s*#\s\?%%]])

--- Call server command `command` for buffer `bufnr`; `on_result(result)` on success, and the
--- server's own error message (e.g. an unknown command) shown to the user otherwise.
--- @param command string
--- @param args table
--- @param on_result fun(result: any)
--- @param bufnr integer|nil
function M.execute(command, args, on_result, bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local client = link().client(bufnr)
  if not client then
    view().error(command, "link-ls is not attached to this buffer (not a notebook?)")
    return
  end
  args = vim.tbl_extend("keep", args or {}, { uri = vim.uri_from_bufnr(bufnr) })
  client:request("workspace/executeCommand", { command = command, arguments = { args } }, function(err, result)
    if err then
      view().error(command, err.message or tostring(err))
      return
    end
    -- a result this plugin cannot show is still reported, not lost in a callback
    local ok, problem = pcall(on_result, result)
    if not ok then
      view().error(command, "could not show the result: " .. tostring(problem))
    end
  end, bufnr)
end

--- The server's reference (component name, canvas id or #N) of the cell under the cursor.
--- @param bufnr integer
--- @return string|nil
function M.cell_at_cursor(bufnr)
  local row = vim.api.nvim_win_get_cursor(0)[1] - 1
  local here = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  if PERCENT:match_str(here) then
    row = row + 1 -- a cell header belongs to the cell below it
  end
  -- the server puts its lenses on each node's first line and names the cell in them
  local best
  for _, lens in ipairs(vim.lsp.codelens.get(bufnr)) do
    local cmd = lens.command
    if cmd and cmd.command == "link.run" and cmd.arguments and lens.range.start.line <= row then
      if not best or lens.range.start.line > best.range.start.line then
        best = lens
      end
    end
  end
  if best then
    return best.command.arguments[1].cell
  end
  -- no lenses yet: the position (#N) from jupytext's cell headers
  local n = 0
  for i, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, row + 1, false)) do
    if PERCENT:match_str(line) or (i == 1 and not line:match("^#")) then
      n = n + 1
    end
  end
  return n > 0 and ("#" .. n) or nil
end

--- The executor options of setup({ run = ... }) (docs/commands.md `link.run`), added to `args`
--- where the caller did not set them.
function M.run_options(args)
  local run = link().config.run or {}
  for _, k in ipairs({ "executor", "workers", "scheduler", "store" }) do
    if args[k] == nil and run[k] ~= nil and run[k] ~= "" then
      args[k] = run[k]
    end
  end
  return args
end

--- The prompt text for a run's untrusted cache entries: how many, and where they came from.
--- @param cache table  the `cache` of a link.run result
--- @return string
function M.trust_prompt(cache)
  local reasons, seen = {}, {}
  for _, u in ipairs(cache.untrusted or {}) do
    local r = type(u.reason) == "string" and u.reason or "unsigned"
    if not seen[r] then
      seen[r] = true
      table.insert(reasons, r)
    end
  end
  local n = #(cache.untrusted or {})
  return ("link-ls: %d cached component%s untrusted (%s). Trust this cache and re-run?"):format(
    n,
    n == 1 and " is" or "s are",
    table.concat(reasons, "; ")
  )
end

--- link.cache.trust for the buffer's notebook; `then_fn(result)` after the summary is shown.
function M.trust(bufnr, then_fn)
  M.execute("link.cache.trust", {}, function(result)
    local n = type(result) == "table" and result.trusted or 0
    local msg = ("%d entr%s trusted"):format(n, n == 1 and "y" or "ies")
    if type(result) == "table" and (result.refused or 0) > 0 then
      msg = msg .. (", %d refused"):format(result.refused)
    end
    vim.notify("link-ls: link.cache.trust: " .. msg, vim.log.levels.INFO)
    if then_fn then
      then_fn(result)
    end
  end, bufnr)
end

--- After a run: warn about refused cache entries, and ask before trusting untrusted ones
--- (naming their origin); trusting re-runs the same run so it restores them.
local function after_run(result, args, bufnr)
  local cache = type(result) == "table" and type(result.cache) == "table" and result.cache or nil
  if not cache then
    return
  end
  local refused = cache.refused or {}
  if #refused > 0 then
    local names = vim.tbl_map(function(r)
      return tostring(r.name or r.id or "?") .. (r.reason and (": " .. r.reason) or "")
    end, refused)
    vim.notify("link-ls: cache entries refused: " .. table.concat(names, "; "), vim.log.levels.WARN)
  end
  if #(cache.untrusted or {}) == 0 then
    return
  end
  vim.ui.select({ "Trust and re-run", "Not now" }, {
    prompt = M.trust_prompt(cache),
    kind = "link_ls.trust",
  }, function(choice)
    if choice ~= "Trust and re-run" then
      return
    end
    M.trust(bufnr, function()
      M.run(args, bufnr)
    end)
  end)
end

--- link.run with `args` ({uri?, cell?, mode?}); the report opens in the run split.
function M.run(args, bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  args = M.run_options(vim.deepcopy(args or {}))
  M.execute("link.run", args, function(result)
    view().run_report(result)
    -- what ran is "up to date" now (link.state)
    local buf = bufnr or vim.api.nvim_get_current_buf()
    local client = require("link_ls").client(buf)
    if client and require("link_ls").config.state then
      require("link_ls.state").refresh(client, buf)
    end
    after_run(result, args, bufnr)
  end, bufnr)
end

local function run_mode(mode)
  return function(opts)
    local bufnr = vim.api.nvim_get_current_buf()
    local cell = opts.args ~= "" and opts.args or M.cell_at_cursor(bufnr)
    if not cell then
      view().error("link.run", "no cell under the cursor")
      return
    end
    M.run({ cell = cell, mode = mode }, bufnr)
  end
end

--- :LinkDiff [rev]: the buffer against a git revision, as a diff buffer.
function M.diff(rev, bufnr)
  rev = (rev and rev ~= "") and rev or link().config.diff_rev
  -- no `target`: the server compares with the buffer as it is now, unsaved edits included
  M.execute("link.diff", { base = rev, format = "text" }, function(result)
    view().diff(result, rev)
  end, bufnr)
end

--- :LinkLog: the notebook's history in a picker; choosing a revision diffs against it.
function M.log(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  M.execute("link.history", {}, function(result)
    local entries = view().history_entries(result)
    if #entries == 0 then
      vim.notify("link-ls: no history for this notebook", vim.log.levels.INFO)
      return
    end
    vim.ui.select(entries, {
      prompt = "link-ls history (choose a revision to diff against)",
      kind = "link_ls.history",
      format_item = view().format_history_entry,
    }, function(entry)
      if entry and entry.rev then
        vim.api.nvim_buf_call(bufnr, function()
          M.diff(entry.rev, bufnr)
        end)
      end
    end)
  end, bufnr)
end

local function summary(command)
  return function(result)
    view().summary(command, result)
  end
end

--- The LNK007 conflict at the cursor (else the first one in the buffer): link.resolveConflict.
function M.resolve_conflict(choice, bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local row = vim.api.nvim_win_get_cursor(0)[1] - 1
  local here, first
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local data = vim.tbl_get(d, "user_data", "lsp", "data")
    if d.code == "LNK007" and type(data) == "table" and data.conflict then
      first = first or data
      if d.lnum <= row and row <= (d.end_lnum or d.lnum) then
        here = here or data
      end
    end
  end
  local data = here or first
  if not data then
    view().error("link.resolveConflict", "no merge conflict (LNK007) in this buffer")
    return
  end
  local args = { conflict = data.conflict, choice = choice }
  if not data.notebookLevel then
    args.cell = data.cellIndex
  end
  M.execute("link.resolveConflict", args, summary("link.resolveConflict"), bufnr)
end

local function fargs(opts, i)
  local v = opts.fargs[i]
  return v ~= nil and v ~= "" and v or nil
end

local function abs(path)
  return path and vim.fn.fnamemodify(vim.fn.expand(path), ":p") or nil
end

--- :LinkAddEdge PARENT [CHILD] / :LinkRemoveEdge PARENT [CHILD]: CHILD is the cell under the
--- cursor by default; the server edits the buffer (link.addEdge / link.removeEdge).
local function edge(command)
  return function(opts)
    local bufnr = vim.api.nvim_get_current_buf()
    local parent = fargs(opts, 1)
    local child = fargs(opts, 2) or M.cell_at_cursor(bufnr)
    if not child then
      view().error(command, "no cell under the cursor")
      return
    end
    M.execute(command, { child = child, parent = parent }, summary(command), bufnr)
  end
end

--- The user commands, and their server command and argument object.
M.user_commands = {
  LinkAddEdge = {
    edge("link.addEdge"),
    { nargs = "+", desc = "link-ls: declare PARENT as a parent of [CHILD] (default: the cell here)" },
  },
  LinkRemoveEdge = {
    edge("link.removeEdge"),
    { nargs = "+", desc = "link-ls: remove the edge PARENT -> [CHILD] (default: the cell here)" },
  },
  LinkToPipeline = {
    function()
      M.execute("link.toPipeline", {}, summary("link.toPipeline"))
    end,
    { desc = "link-ls: make every code cell a component, parents inferred" },
  },
  LinkRunUpTo = { run_mode("upTo"), { nargs = "?", desc = "link-ls: run the cell and its ancestors" } },
  LinkRunCell = { run_mode("cell"), { nargs = "?", desc = "link-ls: run the cell alone" } },
  LinkGraph = {
    function()
      M.execute("link.graph", {}, function(result)
        view().graph(result)
      end)
    end,
    { desc = "link-ls: show the pipeline graph" },
  },
  LinkDiff = {
    function(opts)
      M.diff(opts.args)
    end,
    { nargs = "?", desc = "link-ls: cell-level diff against a git revision (default HEAD)" },
  },
  LinkLog = {
    function()
      M.log()
    end,
    { desc = "link-ls: the notebook's git history" },
  },
  LinkResolve = {
    -- :LinkResolve               resolve the notebook's git merge (link.resolve)
    -- :LinkResolve {choice}      take ours/theirs/both/base for the conflict under the cursor
    function(opts)
      local choice = fargs(opts, 1)
      if not choice then
        M.execute("link.resolve", {}, summary("link.resolve"))
      else
        M.resolve_conflict(choice)
      end
    end,
    {
      nargs = "?",
      desc = "link-ls: resolve a git merge, or [ours|theirs|both|base] for the conflict here",
      complete = function()
        return { "ours", "theirs", "both", "base" }
      end,
    },
  },
  LinkExport = {
    -- :LinkExport [file.json]: without a file the pipeline JSON opens in a scratch buffer
    function(opts)
      M.execute("link.export", { output = abs(fargs(opts, 1)) }, function(result)
        view().exported(result)
      end)
    end,
    { nargs = "?", complete = "file", desc = "link-ls: export the pipeline as JSON [file]" },
  },
  LinkImport = {
    -- :LinkImport file.json [after-cell]
    function(opts)
      M.execute("link.import", { file = abs(fargs(opts, 1)), after = fargs(opts, 2) }, summary("link.import"))
    end,
    { nargs = "+", complete = "file", desc = "link-ls: import a pipeline JSON file [after cell]" },
  },
  LinkCacheExport = {
    function(opts)
      M.execute("link.cache.export", { output = abs(fargs(opts, 1)) }, summary("link.cache.export"))
    end,
    { nargs = 1, complete = "file", desc = "link-ls: export the component cache to file.tar.gz" },
  },
  LinkCacheTrust = {
    function()
      M.trust()
    end,
    { desc = "link-ls: trust the notebook's cache entries (signs them with your key)" },
  },
  LinkCacheImport = {
    function(opts)
      M.execute("link.cache.import", { archive = abs(fargs(opts, 1)) }, summary("link.cache.import"))
    end,
    { nargs = 1, complete = "file", desc = "link-ls: import a component cache archive" },
  },
}

function M.create_user_commands()
  for name, spec in pairs(M.user_commands) do
    vim.api.nvim_create_user_command(name, spec[1], spec[2])
  end
end

--- Code lenses carry `link.run` commands: run them here so the report is shown.
function M.register_client_commands()
  vim.lsp.commands["link.run"] = function(command, ctx)
    M.run(vim.deepcopy(command.arguments[1] or {}), ctx.bufnr)
  end
end

return M
