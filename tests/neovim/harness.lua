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
  local clients = vim.lsp.get_clients and vim.lsp.get_clients({ bufnr = bufnr })
    or vim.lsp.buf_get_clients(bufnr)
  for _, client in pairs(clients) do
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
  -- 0.11 calls it as a method (client:notify(method, params)), older versions as a function.
  client.notify = function(...)
    local args = { ... }
    local method, params = args[1], args[2]
    if type(method) == "table" then
      method, params = args[2], args[3]
    end
    if method == "textDocument/didChange" then
      table.insert(T.changes, params)
    end
    return notify(...)
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

-- The plugin asks its questions through vim.ui.select / vim.ui.input: answered like the
-- message requests above (the first of `picks` offered, else the first item), and
-- `specloop_test.inputs` (a list) typed into vim.ui.input.
T.inputs = {}
T.prompts = {}
vim.ui.select = function(items, opts, on_choice)
  local actions = {}
  for _, item in ipairs(items) do
    table.insert(actions, { title = item })
  end
  table.insert(T.requests, { message = opts.prompt, actions = actions })
  for _, wanted in ipairs(T.picks) do
    for _, item in ipairs(items) do
      if item == wanted then
        return on_choice(item)
      end
    end
  end
  on_choice(items[1])
end
vim.ui.input = function(opts, on_input)
  table.insert(T.prompts, opts.prompt)
  on_input(table.remove(T.inputs, 1))
end

-- Every window/showMessage: those the plugin's own handler showed, else the global ones.
function T.all_messages()
  local ok, handlers = pcall(require, "specloop.handlers")
  local found = vim.deepcopy(T.messages)
  if ok then
    vim.list_extend(found, handlers.history)
  end
  return found
end

-- Run :SpecloopImplement / :SpecloopClarify's action without waiting; its answer lands in
-- specloop_test.result.
function T.run(kind)
  T.result = nil
  require("specloop")[kind](function(result)
    T.result = result
  end)
end

-- The lines of the open review, or nil.
function T.review_lines()
  local review = require("specloop.review").current
  if review and vim.api.nvim_buf_is_valid(review.bufnr) then
    return vim.api.nvim_buf_get_lines(review.bufnr, 0, -1, false)
  end
end
