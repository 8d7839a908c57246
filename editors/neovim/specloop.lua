-- specloop for Neovim without a plugin manager: `dofile("/path/to/editors/neovim/specloop.lua")`
-- puts this directory on the runtimepath (the plugin in lua/specloop/, its commands in
-- plugin/specloop.lua, :help specloop) and returns require("specloop"):
--   dofile("/path/to/specloop/editors/neovim/specloop.lua").setup{ settings = { ... } }
-- Plugin managers load the directory itself; see doc/specloop.txt.
local dir = debug.getinfo(1, "S").source:sub(2):match("(.*)/") or "."
if not vim.tbl_contains(vim.api.nvim_list_runtime_paths(), dir) then
  vim.opt.runtimepath:append(dir)
  vim.cmd("runtime plugin/specloop.lua")
end
return require("specloop")
