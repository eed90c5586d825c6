-- Component run state as virtual text: each cell marker line (`# %%`) of a component gets
-- "● never run" / "● up to date" / "● stale" / "● cached", as the server's `link.state`
-- says (the rule every link-ls client shows). Refreshed with the code lenses.

local M = {}

M.ns = vim.api.nvim_create_namespace("link_ls_state")

local TEXT = {
  ["never-run"] = { "● never run", "Comment" },
  ["up-to-date"] = { "● up to date", "DiagnosticOk" },
  stale = { "● stale", "DiagnosticWarn" },
  cached = { "● cached", "DiagnosticInfo" },
  untrusted = { "● untrusted", "DiagnosticError" },
}

local MARKER = [[^\s*#\s\?%%]]

--- 0-based line of each cell's marker, by 1-based cell position (jupytext percent text).
--- @param bufnr integer
--- @return table<integer, integer>
local function marker_lines(bufnr)
  local out, n = {}, 0
  local re = vim.regex(MARKER)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    if re:match_str(line) then
      n = n + 1
      out[n] = i - 1
    end
  end
  return out
end

--- Ask the server for the states and draw them.
--- @param client vim.lsp.Client
--- @param bufnr integer
function M.refresh(client, bufnr)
  if not vim.api.nvim_buf_is_valid(bufnr) then
    return
  end
  local uri = vim.uri_from_bufnr(bufnr)
  client:request("workspace/executeCommand", { command = "link.state", arguments = { { uri = uri } } },
    function(err, result)
      if err or not result or not vim.api.nvim_buf_is_valid(bufnr) then
        return
      end
      vim.api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
      local lines = marker_lines(bufnr)
      for _, c in ipairs(result.components or {}) do
        local line, text = lines[c.cell], TEXT[c.state]
        if line and text then
          vim.api.nvim_buf_set_extmark(bufnr, M.ns, line, 0, {
            virt_text = { { text[1], text[2] } },
            virt_text_pos = "eol",
          })
        end
      end
    end, bufnr)
end

return M
