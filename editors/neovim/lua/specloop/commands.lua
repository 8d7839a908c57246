-- The actions behind :SpecloopImplement, :SpecloopClarify, :SpecloopLastRun and
-- :SpecloopCancel. Implement and Clarify run the code action the server offers at the
-- cursor, as the code action menu would; how the run ended is echoed, naming the wrong
-- attempts validation caught on the way.
local client_mod = require("specloop.client")
local progress = require("specloop.progress")
local views = require("specloop.views")

local M = {}

M.COMMANDS = { implement = "specloop.implement", clarify = "specloop.clarifyTodo" }
M.last_result = nil -- what the last command run from here answered (for tests and statusline)

local function say(text, highlight)
  vim.api.nvim_echo({ { "specloop: " .. text, highlight or "None" } }, true, {})
end

local function ended(result)
  if type(result) ~= "table" then
    return
  end
  local caught = result.caught
  if type(caught) == "table" and #caught > 0 then
    local verdict = result.status == "validated" and "before the change it offered"
      or "and none passed"
    say(
      string.format(
        "validation caught %d wrong attempt(s) %s: %s. :SpecloopLastRun shows the report.",
        #caught,
        verdict,
        table.concat(caught, "; ")
      ),
      "WarningMsg"
    )
  end
end

-- Run the server's `kind` command ("implement" or "clarify") for the cursor's position.
function M.run(kind, on_done)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = client_mod.get(bufnr)
  if not client then
    say("no specloop server is attached to this buffer (is it a Python file?).", "WarningMsg")
    return
  end
  local cursor = vim.api.nvim_win_get_cursor(0)
  local position = { line = cursor[1] - 1, character = cursor[2] }
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(bufnr),
    range = { start = position, ["end"] = position },
    context = { diagnostics = {} },
  }
  client_mod.request(client, "textDocument/codeAction", params, function(err, actions)
    if err then
      say("the server could not list its actions: " .. tostring(err.message), "ErrorMsg")
      return
    end
    local command
    for _, action in ipairs(actions or {}) do
      if action.command and action.command.command == M.COMMANDS[kind] then
        command = action.command
      end
    end
    if not command then
      local what = kind == "clarify" and "an ambiguous TODO" or "a function or class"
      say("put the cursor on " .. what .. " for specloop to " .. kind .. ".", "WarningMsg")
      return
    end
    client_mod.request(client, "workspace/executeCommand", command, function(run_err, result)
      M.last_result = run_err and { status = "error", error = run_err.message } or result
      if run_err then
        say("the run failed: " .. tostring(run_err.message), "ErrorMsg")
      else
        ended(result)
      end
      if on_done then
        on_done(M.last_result)
      end
    end, bufnr)
  end, bufnr)
end

-- :SpecloopLastRun: the newest run's report (validated or not) in a split.
function M.last_run()
  local client = client_mod.get() or client_mod.all()[1]
  if not client then
    say("no specloop server is running; open a Python file first.", "WarningMsg")
    return
  end
  local command = { title = "Last run", command = "specloop.lastRunReport", arguments = {} }
  client_mod.request(client, "workspace/executeCommand", command, function(err, result)
    if err then
      say("the server could not find the last run: " .. tostring(err.message), "ErrorMsg")
    elseif result and result.uri then
      views.show_file(vim.uri_to_fname(result.uri), { slot = "document", focus = true })
    else
      say((result and result.message) or "no run yet.", "WarningMsg")
    end
  end)
end

-- :SpecloopCancel: cancel the running loops.
function M.cancel()
  local count = progress.cancel()
  if count == 0 then
    say("no specloop run is in progress.")
  else
    say(string.format("asked %d run(s) to stop.", count))
  end
end

return M
