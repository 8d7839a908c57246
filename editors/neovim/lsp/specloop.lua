-- specloop's default configuration for Neovim 0.11+'s native LSP setup:
--   vim.lsp.config("specloop", { settings = { specloop = { model = "..." } } })
--   vim.lsp.enable("specloop")
-- Neovim finds this file on the runtimepath (lsp/<name>.lua) and merges the user's
-- vim.lsp.config on top. The server also gets its settings as initializationOptions.
local client = require("specloop.client")
local config = client.base_config()
config.filetypes = { "python" }
config.settings = { specloop = vim.empty_dict() }
config.root_dir = function(bufnr, on_dir)
  local path = vim.api.nvim_buf_get_name(bufnr)
  if path ~= "" and vim.bo[bufnr].buftype == "" then
    on_dir(client.find_root(path))
  end
end
config.before_init = function(params, resolved)
  local settings = resolved.settings and resolved.settings.specloop
  params.initializationOptions = settings or vim.empty_dict()
end
return config
