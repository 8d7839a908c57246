-- specloop for Neovim 0.7+: `require("specloop").setup(opts)` starts the specloop
-- language server for Python buffers (one client per project root).
--   opts.cmd       the server's command (default { "specloop", "serve" })
--   opts.settings  the server's settings, its camelCase keys as in VS Code's `specloop.*`
--   opts.python    the project's Python (interpreter or virtual environment) for the checks
-- With lazy.nvim: { dir = "/path/to/specloop/editors/neovim", opts = { ... } }.
-- On 0.11+ the client is set up with vim.lsp.config/vim.lsp.enable (see lsp/specloop.lua).
local M = {}

M.options = nil -- the options of the last setup() call (for :checkhealth)

function M.setup(opts)
  opts = opts or {}
  M.options = opts
  require("specloop.client").start(opts)
end

-- The line for a statusline: the run in progress, else "".
function M.status()
  return require("specloop.progress").status()
end

function M.implement(on_done)
  require("specloop.commands").run("implement", on_done)
end

function M.clarify(on_done)
  require("specloop.commands").run("clarify", on_done)
end

function M.last_run()
  require("specloop.commands").last_run()
end

function M.cancel()
  require("specloop.commands").cancel()
end

function M.review()
  return require("specloop.review").focus()
end

return M
