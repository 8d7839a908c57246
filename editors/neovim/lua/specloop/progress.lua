-- Progress of specloop's runs without any plugin: each `$/progress` report is echoed
-- (and kept for the statusline, `require("specloop").status()`), and the tokens of the
-- runs still working are remembered so :SpecloopCancel can cancel them
-- (window/workDoneProgress/cancel). Wraps the default `$/progress` handler, so
-- Neovim's own handling (LspProgress on 0.10+, vim.lsp.util.get_progress_messages) stays.
local client_mod = require("specloop.client")

local M = {}

M.running = {} -- token -> { client_id, title, message }
M.last = "" -- the latest line, for the statusline

local function line(entry)
  if entry.message and entry.message ~= "" then
    return entry.title .. ": " .. entry.message
  end
  return entry.title
end

local function echo(text)
  M.last = text
  vim.api.nvim_echo({ { text } }, false, {})
  vim.cmd("redrawstatus")
end

-- The `$/progress` handler for specloop's clients.
function M.handler(err, result, ctx, config)
  local default = vim.lsp.handlers["$/progress"]
  if default then
    pcall(default, err, result, ctx, config)
  end
  local value = result and result.value
  if type(value) ~= "table" then
    return
  end
  local token = result.token
  if value.kind == "begin" then
    M.running[token] = { client_id = ctx.client_id, title = value.title or "specloop" }
    M.running[token].message = value.message
    echo(line(M.running[token]) .. "  (:SpecloopCancel stops it)")
  elseif value.kind == "report" and M.running[token] then
    M.running[token].message = value.message
    echo(line(M.running[token]))
  elseif value.kind == "end" and M.running[token] then
    local entry = M.running[token]
    M.running[token] = nil
    entry.message = value.message
    echo(line(entry))
  end
end

-- Cancel every run in progress; how many were asked to stop.
function M.cancel()
  local count = 0
  for token, entry in pairs(M.running) do
    local client = vim.lsp.get_client_by_id(entry.client_id)
    if client then
      client_mod.notify(client, "window/workDoneProgress/cancel", { token = token })
      count = count + 1
    end
  end
  return count
end

-- What the statusline shows: the run working now, else "".
function M.status()
  for _, entry in pairs(M.running) do
    return line(entry)
  end
  return ""
end

return M
