-- Where results show up: scratch splits (run outputs, graph, export), diff buffers,
-- messages for edits and errors, and the echo line for progress.

local M = {}

--- JSON null arrives as vim.NIL (truthy): treat it as absent.
local function present(v)
  if v == nil or v == vim.NIL then
    return nil
  end
  return v
end
M.present = present

--- Show `lines` in the scratch buffer `link-ls://<name>`, in a split if it is not visible.
--- The cursor stays where it was, as with the quickfix preview.
--- @param name string
--- @param lines string[]
--- @param filetype string|nil
--- @return integer bufnr
function M.scratch(name, lines, filetype)
  local bufname = "link-ls://" .. name
  local buf = vim.fn.bufnr(bufname)
  if buf == -1 then
    buf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(buf, bufname)
    vim.bo[buf].bufhidden = "hide"
  end
  vim.bo[buf].modifiable = true
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  vim.bo[buf].modified = false
  if filetype then
    vim.bo[buf].filetype = filetype
  end
  if vim.fn.bufwinid(buf) == -1 then
    local win = vim.api.nvim_get_current_win()
    vim.cmd("botright " .. math.max(6, math.min(#lines + 1, 15)) .. "split")
    vim.api.nvim_win_set_buf(0, buf)
    vim.api.nvim_set_current_win(win)
  end
  return buf
end

local function split_lines(text)
  local out = {}
  text = (text or ""):gsub("\27%[[%d;]*m", "") -- tracebacks carry terminal colours
  for line in (text .. "\n"):gmatch("(.-)\r?\n") do
    table.insert(out, line)
  end
  if #out > 0 and out[#out] == "" then
    table.remove(out)
  end
  return out
end

local function joined(v)
  if type(v) == "table" then
    return table.concat(v, "")
  end
  return v and tostring(v) or ""
end

--- nbformat outputs as the lines a terminal would show.
--- @param outputs table[]
--- @return string[]
function M.output_lines(outputs)
  local lines = {}
  for _, out in ipairs(outputs or {}) do
    local kind = out.output_type
    local text
    if kind == "stream" then
      text = joined(out.text)
    elseif kind == "error" then
      text = out.traceback and #out.traceback > 0 and table.concat(out.traceback, "\n")
        or ((out.ename or "Error") .. ": " .. (out.evalue or ""))
    elseif type(out.data) == "table" then
      text = out.data["text/plain"] and joined(out.data["text/plain"])
      if not text then
        local mimes = vim.tbl_keys(out.data)
        table.sort(mimes)
        text = "[" .. table.concat(mimes, ", ") .. " output]"
      end
    end
    vim.list_extend(lines, split_lines(text))
  end
  return lines
end

local function plural(n)
  return n == 1 and "1 cell" or (n .. " cells")
end

--- The `link.run` result in the run split: a header, then each step and its outputs.
function M.run_report(result)
  result = result or {}
  if result.executed ~= false and type(result.report) == "table" then
    -- the run report (docs/run.md) may come nested under `report`
    result = vim.tbl_extend("keep", result.report, result)
  end
  local plan = result.plan or {}
  local cells = plan.cells or {}
  local lines = {}
  local target_name = present(plan.target)
  for _, c in ipairs(cells) do
    if c.id == plan.target then
      target_name = c.name
    end
  end
  local modes = { upTo = "up to", cell = "cell" }
  local target = plan.mode == "all" and "all"
    or ((modes[plan.mode] or plan.mode or "run") .. " " .. tostring(target_name or ""))
  if result.executed == false then
    -- a server without execution answers with the plan it would run
    table.insert(lines, "link-ls: " .. (result.message or "not executed"))
    table.insert(lines, "plan (" .. target .. "): " .. plural(#cells))
    for i, c in ipairs(cells) do
      table.insert(lines, string.format("  [%d/%d] %s (#%s)", i, #cells, c.name or "?", c.index or "?"))
    end
    return M.scratch("run", lines, "linklsrun")
  end
  local dur = result.duration and string.format(" in %.1f s", result.duration) or ""
  table.insert(lines, string.format("run %s: %s, %s%s", target, plural(#cells), result.outcome or "done", dur))
  local steps = result.steps or {}
  if #steps == 0 and type(result.ran) == "table" then
    -- a result without the full report: at least say which cells ran
    table.insert(lines, "ran: " .. table.concat(vim.tbl_map(tostring, result.ran), ", "))
  end
  for i, step in ipairs(steps) do
    table.insert(
      lines,
      string.format("── [%d/%d] %s (#%s) %s", i, #steps, step.name or "?", step.index or "?", step.status or "")
    )
    vim.list_extend(lines, M.output_lines(step.outputs))
  end
  if present(result.failed) then
    table.insert(lines, "link-ls: failed at " .. (result.failed.name or "?") .. " (#" .. (result.failed.index or "?") .. ")")
  end
  for _, w in ipairs(result.warnings or {}) do
    table.insert(lines, "warning: " .. w)
  end
  local saved = M.saved_line(result.saved)
  if saved then
    table.insert(lines, saved)
  end
  return M.scratch("run", lines, "linklsrun")
end

--- One line saying whether the run's outputs went into the .ipynb (`saved`, docs/commands.md).
function M.saved_line(saved)
  if type(saved) ~= "table" then
    return nil
  end
  if saved.written then
    return "outputs saved to " .. tostring(present(saved.path) or "the notebook")
  end
  return "outputs not saved: " .. tostring(present(saved.reason) or "unknown reason")
end

--- `link.graph`: one line per node with its parents and what flows along each edge.
function M.graph(result)
  local by_id = {}
  for _, n in ipairs(result.nodes or {}) do
    by_id[n.id] = n
  end
  local parents = {}
  for _, e in ipairs(result.edges or {}) do
    parents[e.target] = parents[e.target] or {}
    local src = by_id[e.source]
    local label = src and src.name or tostring(e.source)
    if e.names and #e.names > 0 then
      label = label .. " (" .. table.concat(e.names, ", ") .. ")"
    end
    table.insert(parents[e.target], label)
  end
  local kind = result.pipeline and "pipeline" or "plain notebook"
  local lines = { string.format("%s, %d nodes", kind, #(result.nodes or {})) }
  for _, n in ipairs(result.nodes or {}) do
    local ps = parents[n.id] and table.concat(parents[n.id], "; ") or "-"
    table.insert(lines, string.format("  #%-3s %-16s <- %s", n.index, n.name, ps))
  end
  return M.scratch("graph", lines, "linklsgraph")
end

--- The text of a diff result: the server's rendered text, whichever key carries it.
local function diff_text(result)
  if type(result) == "string" then
    return result
  end
  if type(result) ~= "table" then
    return ""
  end
  for _, key in ipairs({ "text", "diff", "rendered", "unified" }) do
    if type(result[key]) == "string" then
      return result[key]
    end
  end
  return vim.json.encode(result)
end

--- `link.diff`: the rendered cell-level diff in a `diff` buffer.
function M.diff(result, rev)
  local text = diff_text(result)
  local lines = split_lines(text)
  if #lines == 0 then
    lines = { "no changes against " .. rev }
  end
  local buf = M.scratch("diff/" .. rev, lines, "diff")
  vim.b[buf].link_ls_rev = rev
  return buf
end

--- History entries from `link.history`: {rev, date, author, summary} whatever the key names.
function M.history_entries(result)
  local list = type(result) == "table" and (result.commits or result.entries or result.history or result) or {}
  local out = {}
  for _, e in ipairs(list) do
    if type(e) == "table" then
      table.insert(out, {
        rev = e.commit or e.rev or e.sha,
        short = e.short,
        date = e.date or "",
        author = e.author or "",
        subject = e.message or e.subject or "",
        summary = e.summary or "",
        raw = e,
      })
    end
  end
  return out
end

--- `abc1234  2026-11-25  Ann  fix the split  (1 modified)`
function M.format_history_entry(e)
  local rev = e.short or tostring(e.rev or "?"):sub(1, 10)
  local summary = (e.summary ~= "" and e.summary ~= e.subject) and ("  (" .. e.summary .. ")") or ""
  return string.format("%s  %s  %s  %s%s", rev, tostring(e.date):sub(1, 10), e.author, e.subject, summary)
end

--- Indented JSON where this Neovim's encoder can indent (0.12), else one line.
function M.pretty_json(value)
  local ok, text = pcall(vim.json.encode, value, { indent = "  " })
  return ok and text or vim.json.encode(value)
end

--- `link.export` without a file: the pipeline JSON in a scratch buffer.
function M.exported(result)
  if type(result) == "table" and present(result.output) then
    return M.summary("link.export", { message = "wrote " .. tostring(result.output) })
  end
  local body = type(result) == "table" and (present(result.pipeline) or result) or result
  local text = type(body) == "string" and body or M.pretty_json(body)
  return M.scratch("export", split_lines(text), "json")
end

--- A one-line message for commands that change files or the buffer.
function M.summary(command, result)
  local msg
  if type(result) == "table" then
    msg = present(result.message) or present(result.summary)
    if not msg then
      local parts = {}
      for _, k in ipairs({ "changed", "applied", "written", "cells", "entries", "imported", "path", "output" }) do
        if present(result[k]) ~= nil then
          local v = result[k]
          table.insert(parts, k .. "=" .. (type(v) == "table" and vim.json.encode(v) or tostring(v)))
        end
      end
      msg = table.concat(parts, " ")
    end
  else
    msg = tostring(result)
  end
  vim.notify("link-ls: " .. command .. ": " .. msg, vim.log.levels.INFO)
end

function M.error(command, message)
  vim.notify("link-ls: " .. command .. ": " .. tostring(message), vim.log.levels.ERROR)
end

--- Work-done progress from the server, on the echo line.
--- @param value lsp.WorkDoneProgressBegin|lsp.WorkDoneProgressReport|lsp.WorkDoneProgressEnd
function M.progress(value)
  if value.kind == "begin" then
    M._title = value.title
  end
  local text = (M._title or "link-ls")
  if value.message then
    text = text .. ": " .. value.message
  end
  if value.percentage then
    text = text .. string.format(" (%d%%)", value.percentage)
  end
  vim.api.nvim_echo({ { text, value.kind == "end" and "MoreMsg" or "Normal" } }, false, {})
end

return M
