-- The specloop client: its configuration (command, settings, capabilities, handlers) and
-- starting it the way this Neovim expects: vim.lsp.config/enable on 0.11+, vim.lsp.start
-- on 0.9-0.10, vim.lsp.start_client + buf_attach_client on 0.7-0.8.
local M = {}

M.root_markers = { ".git", "pyproject.toml" }

-- The nearest directory above `path` holding a root marker, else the file's own directory.
-- (vim.fs does not exist on 0.7.)
function M.find_root(path)
  local start = vim.fn.fnamemodify(path, ":p:h")
  local dir = start
  while true do
    for _, marker in ipairs(M.root_markers) do
      if vim.loop.fs_stat(dir .. "/" .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ":h")
    if parent == dir then
      return start
    end
    dir = parent
  end
end

-- The server's settings from setup's options: `settings`, plus `python` given beside them.
function M.settings(opts)
  local settings = opts.settings or {}
  if opts.python then
    settings = vim.tbl_extend("force", settings, { python = opts.python })
  end
  -- An empty Lua table is sent as a JSON array; the server expects an object.
  if vim.tbl_isempty(settings) then
    settings = vim.empty_dict()
  end
  return settings
end

-- The client's capabilities: Neovim's own, plus window/showDocument, which specloop's
-- handler answers (the diff to review, the plan, a run's report open in a split).
function M.capabilities()
  local capabilities = vim.lsp.protocol.make_client_capabilities()
  capabilities.window = capabilities.window or {}
  capabilities.window.showDocument = { support = true }
  return capabilities
end

-- The parts of the client's configuration every Neovim version shares.
function M.base_config()
  return {
    name = "specloop",
    cmd = { "specloop", "serve" },
    capabilities = M.capabilities(),
    handlers = require("specloop.handlers").all(),
  }
end

-- The configuration setup(opts) gives the client.
function M.config(opts)
  local settings = M.settings(opts)
  local config = M.base_config()
  config.cmd = opts.cmd or config.cmd
  config.init_options = settings
  config.settings = { specloop = settings }
  return config
end

local function attach_with_start_client(config, bufnr, client_ids)
  local path = vim.api.nvim_buf_get_name(bufnr)
  if path == "" or vim.bo[bufnr].buftype ~= "" then
    return
  end
  local root = M.find_root(path)
  local client = client_ids[root] and vim.lsp.get_client_by_id(client_ids[root])
  if not client or client.is_stopped() then
    client_ids[root] = vim.lsp.start_client(vim.tbl_extend("force", config, { root_dir = root }))
  end
  if client_ids[root] then
    vim.lsp.buf_attach_client(bufnr, client_ids[root])
  end
end

local function attach_with_start(config, bufnr)
  local path = vim.api.nvim_buf_get_name(bufnr)
  if path == "" or vim.bo[bufnr].buftype ~= "" then
    return
  end
  local root = M.find_root(path)
  vim.lsp.start(vim.tbl_extend("force", config, { root_dir = root }), { bufnr = bufnr })
end

-- Which way this Neovim starts clients: "enable" (0.11+), "start" (0.9+), "start_client".
function M.method()
  if vim.fn.has("nvim-0.11") == 1 and vim.lsp.enable then
    return "enable"
  elseif vim.lsp.start then
    return "start"
  end
  return "start_client"
end

-- Start specloop for every Python buffer, those open now and those opened later.
function M.start(opts)
  local method = M.method()
  if method == "enable" then
    -- lsp/specloop.lua (on the runtimepath) holds the defaults; setup's options go on top.
    local overrides = { settings = { specloop = M.settings(opts) } }
    if opts.cmd then
      overrides.cmd = opts.cmd
    end
    vim.lsp.config("specloop", overrides)
    vim.lsp.enable("specloop")
    return
  end
  local config = M.config(opts)
  local client_ids = {} -- root dir -> client id (0.7-0.8)
  local function attach(bufnr)
    if method == "start" then
      attach_with_start(config, bufnr)
    else
      attach_with_start_client(config, bufnr, client_ids)
    end
  end
  local group = vim.api.nvim_create_augroup("specloop", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = "python",
    callback = function(args)
      attach(args.buf)
    end,
  })
  -- A plugin manager may load specloop after Python buffers were opened.
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.bo[bufnr].filetype == "python" then
      attach(bufnr)
    end
  end
end

-- Every running specloop client (attached to `bufnr` when given).
function M.all(bufnr)
  local clients
  if vim.lsp.get_clients then -- 0.10+
    clients = vim.lsp.get_clients({ bufnr = bufnr })
  elseif bufnr then
    clients = vim.lsp.buf_get_clients(bufnr)
  else
    clients = vim.lsp.get_active_clients()
  end
  local found = {}
  for _, client in pairs(clients) do
    if client.name == "specloop" then
      table.insert(found, client)
    end
  end
  return found
end

-- The specloop client attached to `bufnr` (the current buffer by default), or nil.
function M.get(bufnr)
  return M.all(bufnr or vim.api.nvim_get_current_buf())[1]
end

-- client.request / client.notify: methods (client:request) on 0.11+, functions before.
local methods = vim.fn.has("nvim-0.11") == 1
function M.request(client, method, params, handler, bufnr)
  if methods then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

function M.notify(client, method, params)
  if methods then
    return client:notify(method, params)
  end
  return client.notify(method, params)
end

return M
