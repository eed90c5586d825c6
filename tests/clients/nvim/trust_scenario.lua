-- The cache trust scenario: a run whose cache entries were imported (untrusted) asks before
-- trusting them, naming where they came from; answering "Trust and re-run" trusts them and
-- runs again, which restores them. Then :LinkCacheTrust on its own. Writes what the editor
-- showed as JSON and quits.

local out_path = assert(os.getenv("LINK_LS_NVIM_OUT"))
local target = assert(os.getenv("LINK_LS_RUN_TARGET"))
local timeout = tonumber(os.getenv("LINK_LS_TIMEOUT_MS") or "") or 180000

local link = require("link_ls")
local commands = require("link_ls.commands")
local view = require("link_ls.view")
local seen = { notifications = {}, prompts = {}, runs = {}, steps = {} }
local buf = vim.api.nvim_get_current_buf()

local notify = vim.notify
vim.notify = function(msg, level, opts)
  table.insert(seen.notifications, { message = tostring(msg), level = level })
  return notify(msg, level, opts)
end

-- every run report the split shows: each step's status, and what the cache did
local run_report = view.run_report
view.run_report = function(result)
  local steps = {}
  for _, s in ipairs(type(result) == "table" and result.steps or {}) do
    table.insert(steps, { name = s.name, status = s.status })
  end
  table.insert(seen.runs, {
    outcome = result.outcome,
    steps = steps,
    cache = result.cache,
    executor = result.executor,
    where = vim.tbl_map(function(s)
      return s.where or vim.NIL
    end, type(result) == "table" and result.steps or {}),
  })
  return run_report(result)
end

-- the user reads the prompt and answers "Trust and re-run"
vim.ui.select = function(items, opts, on_choice)
  table.insert(seen.prompts, { prompt = opts.prompt, items = items })
  vim.schedule(function()
    on_choice("Trust and re-run")
  end)
end

local started = vim.uv.hrtime()
local function step(name, ok)
  table.insert(seen.steps, { name = name, ok = ok, at = (vim.uv.hrtime() - started) / 1e9 })
  return ok
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
  if not step("attach", vim.wait(timeout, function()
    return link.client(buf) ~= nil and link.client(buf).initialized
  end, 100)) then
    return
  end
  commands.run({ cell = target, mode = "upTo", cacheAll = true }, buf)
  step("run-trust-rerun", vim.wait(timeout, function()
    return #seen.runs >= 2 or has_error_since(0)
  end, 100))

  -- :LinkCacheTrust on its own: everything is trusted by now
  local n = #seen.notifications
  vim.api.nvim_set_current_buf(buf)
  vim.cmd("LinkCacheTrust")
  step("trust-command", vim.wait(timeout, function()
    for i = n + 1, #seen.notifications do
      if seen.notifications[i].message:find("link.cache.trust", 1, true) then
        return true
      end
    end
    return false
  end, 100))

  -- setup({ run = { executor = "parallel", workers = 2 } }) goes with every run
  link.config.run = { executor = "parallel", workers = 2 }
  n = #seen.runs
  local errors = #seen.notifications
  commands.run({ cell = target, mode = "upTo", useCache = false }, buf)
  step("run-parallel", vim.wait(timeout, function()
    return #seen.runs > n or has_error_since(errors)
  end, 100))
  seen.parallel = seen.runs[n + 1]
end

local ok, err = xpcall(scenario, debug.traceback)
if not ok then
  seen.error = err
end
local f = assert(io.open(out_path, "w"))
f:write(vim.json.encode(seen))
f:close()
vim.cmd("qa!")
