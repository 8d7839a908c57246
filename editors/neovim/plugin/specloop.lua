-- specloop's user commands (loaded at start-up by every plugin manager; cheap: the
-- modules load on first use). The server starts with require("specloop").setup(opts).
if vim.g.loaded_specloop then
  return
end
vim.g.loaded_specloop = true

local function command(name, action, desc)
  vim.api.nvim_create_user_command(name, function()
    require("specloop")[action]()
  end, { desc = desc })
end

command("SpecloopImplement", "implement", "specloop: implement the function or class at the cursor")
command("SpecloopClarify", "clarify", "specloop: clarify the ambiguous TODO at the cursor")
command("SpecloopLastRun", "last_run", "specloop: the last run's report in a split")
command("SpecloopCancel", "cancel", "specloop: cancel the runs in progress")
command("SpecloopReview", "review", "specloop: go to the change waiting for review")
