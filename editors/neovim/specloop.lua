-- specloop for Neovim 0.7+: one specloop client per project root, attached to
-- every Python buffer. Self-contained, so either of these works:
--   require("specloop").setup{ settings = { diagnostics = { severity = "hint" } } }
--   dofile("/path/to/specloop.lua").setup{ cmd = { "python3", "-m", "specloop", "serve" } }
-- `settings` are the server's settings (its camelCase keys, as in VS Code's `specloop.*`),
-- sent as-is. One of them, `python`, is the project's Python (an interpreter or a virtual
-- environment) that runs the checks, so they see the project's dependencies:
--   require("specloop").setup{ settings = { python = "/path/to/project/.venv/bin/python" } }
-- `python` may also be given next to `settings` (setup{ python = "..." }). Unset, the
-- server looks for VIRTUAL_ENV, .venv or venv in the project, PDM's or Poetry's
-- environment, else uses its own.
-- Uses only APIs that exist in 0.7 (no vim.lsp.start, no vim.fs).
local M = {}

local root_markers = { ".git", "pyproject.toml" }
local client_ids = {} -- root dir -> client id

-- The nearest directory above `path` holding a root marker, else the file's own directory.
local function find_root(path)
  local start = vim.fn.fnamemodify(path, ":p:h")
  local dir = start
  while true do
    for _, marker in ipairs(root_markers) do
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

function M.setup(opts)
  opts = opts or {}
  local settings = opts.settings or {}
  if opts.python then
    settings = vim.tbl_extend("force", settings, { python = opts.python })
  end
  -- An empty Lua table is sent as a JSON array; the server expects an object.
  if vim.tbl_isempty(settings) then
    settings = vim.empty_dict()
  end

  local group = vim.api.nvim_create_augroup("specloop", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = "python",
    callback = function(args)
      local path = vim.api.nvim_buf_get_name(args.buf)
      if path == "" or vim.bo[args.buf].buftype ~= "" then
        return
      end
      local root = find_root(path)
      local client = client_ids[root] and vim.lsp.get_client_by_id(client_ids[root])
      if not client or client.is_stopped() then
        client_ids[root] = vim.lsp.start_client({
          name = "specloop",
          cmd = opts.cmd or { "specloop", "serve" },
          root_dir = root,
          init_options = settings,
          settings = { specloop = settings },
        })
      end
      if client_ids[root] then
        vim.lsp.buf_attach_client(args.buf, client_ids[root])
      end
    end,
  })
end

return M
