-- Test-side helpers loaded into the headless Neovim by conftest.py (Neovim 0.7+).
-- Records what the specloop client receives and sends, so Python can assert on it.
local T = { messages = {}, changes = {} }
_G.specloop_test = T

-- Installed globally before the client starts, so a message sent while the
-- server handles `initialize` is kept too.
vim.lsp.handlers["window/showMessage"] = function(_, result)
  table.insert(T.messages, { type = result.type, message = result.message })
end

-- The initialized specloop client attached to `bufnr`, or nil.
function T.client(bufnr)
  for _, client in pairs(vim.lsp.buf_get_clients(bufnr)) do
    if client.name == "specloop" and client.initialized then
      return client
    end
  end
end

-- Wrap the client's notify once to record every textDocument/didChange it sends.
function T.watch_changes(bufnr)
  local client = T.client(bufnr)
  if client.specloop_test_watched then
    return
  end
  local notify = client.notify
  client.notify = function(method, params)
    if method == "textDocument/didChange" then
      table.insert(T.changes, params)
    end
    return notify(method, params)
  end
  client.specloop_test_watched = true
end

-- Send a request and wait for it; returns { result = ... } or { failure = "why" }.
function T.request(bufnr, method, params, timeout_ms)
  if params == nil or params == vim.NIL then -- Python's None arrives as vim.NIL
    params = { textDocument = vim.lsp.util.make_text_document_params(bufnr) }
  end
  local responses, err = vim.lsp.buf_request_sync(bufnr, method, params, timeout_ms)
  if not responses then
    return { failure = "no response within " .. timeout_ms .. " ms (" .. tostring(err) .. ")" }
  end
  for client_id, response in pairs(responses) do
    if vim.lsp.get_client_by_id(client_id).name == "specloop" then
      -- Neovim 0.7 puts a response error under `error`; newer versions under `err`.
      local response_error = response.err or response.error
      if response_error then
        return { failure = "error response: " .. vim.inspect(response_error) }
      end
      return { result = response.result }
    end
  end
  return { failure = "no response from specloop (other clients: " .. vim.inspect(responses) .. ")" }
end

-- Poll a Lua expression until it is truthy or `timeout_ms` passes; returns { ok, value }.
function T.wait_for(expression, timeout_ms)
  local check = assert(loadstring("return " .. expression))
  local value
  local ok = vim.wait(timeout_ms, function()
    value = check()
    return value ~= nil and value ~= false
  end, 20)
  return { ok = ok, value = value }
end

-- window/showMessageRequest, answered the way a user would: the first action whose title
-- is in `specloop_test.picks` (a list of titles), else the first action. Neovim's own
-- handler (vim.fn.inputlist) would block a headless session.
T.requests = {}
T.picks = {}
vim.lsp.handlers["window/showMessageRequest"] = function(_, result)
  table.insert(T.requests, { message = result.message, actions = result.actions or {} })
  local actions = result.actions or {}
  for _, wanted in ipairs(T.picks) do
    for _, action in ipairs(actions) do
      if action.title == wanted then
        return action
      end
    end
  end
  return actions[1] or vim.NIL
end

-- Run a code action's command the way vim.lsp.buf.code_action does, waiting for its end.
function T.execute(bufnr, command, timeout_ms)
  return T.request(bufnr, "workspace/executeCommand", command, timeout_ms)
end
