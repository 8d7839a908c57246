-- :checkhealth specloop — the server command found and its version, the settings valid
-- (by the server's own validation: `specloop doctor`), isolation for generated code, and
-- a model configured or the embedded one installed; each problem with its fix.
-- 0.7 reports through require("health").report_*, 0.10+ through vim.health.*.
local M = {}

local function reporter()
  local health = vim.health or require("health")
  return {
    start = health.start or health.report_start,
    ok = health.ok or health.report_ok,
    warn = health.warn or health.report_warn,
    error = health.error or health.report_error,
    info = health.info or health.report_info,
  }
end

-- The command and settings in use: setup()'s options, else vim.lsp.config's (0.11+).
local function configured()
  local specloop = require("specloop")
  local client = require("specloop.client")
  if specloop.options then
    return specloop.options.cmd or { "specloop", "serve" }, client.settings(specloop.options)
  end
  if vim.fn.has("nvim-0.11") == 1 and vim.lsp.config then
    local config = vim.lsp.config.specloop or {}
    local settings = config.settings and config.settings.specloop or vim.empty_dict()
    return config.cmd or { "specloop", "serve" }, settings
  end
  return nil, nil
end

-- The server command without its `serve` (and what follows), to run other subcommands.
local function program(cmd)
  local found = {}
  for _, part in ipairs(cmd) do
    if part == "serve" then
      break
    end
    table.insert(found, part)
  end
  return found
end

local function run(argv)
  local output = vim.fn.system(argv)
  return vim.v.shell_error == 0, vim.trim(output)
end

function M.check()
  local report = reporter()
  report.start("specloop: the server")
  local cmd, settings = configured()
  if not cmd then
    report.error("specloop is not set up.", {
      'Call require("specloop").setup({ ... }) (lazy.nvim: `opts = { ... }`), or on Neovim '
        .. '0.11+ vim.lsp.enable("specloop").',
    })
    return
  end
  if type(cmd) ~= "table" or vim.fn.executable(cmd[1]) ~= 1 then
    report.error("The server command " .. vim.inspect(cmd) .. " was not found.", {
      "Install specloop (`uv tool install specloop` or `pipx install specloop`), or set "
        .. "`cmd` in setup() to a command that runs `specloop serve`, e.g. "
        .. '{ "/path/to/.venv/bin/python", "-m", "specloop", "serve" }.',
    })
    return
  end
  local base = program(cmd)
  local ok, version = run(vim.list_extend(vim.deepcopy(base), { "--version" }))
  if not ok then
    report.error("`" .. table.concat(base, " ") .. " --version` failed: " .. version, {
      "Check that the command runs specloop (its Python has specloop installed).",
    })
    return
  end
  report.ok("Server command: " .. table.concat(cmd, " ") .. " (" .. version .. ")")

  local json = vim.fn.json_encode(settings)
  local doctor_ok, output = run(vim.list_extend(vim.deepcopy(base), { "doctor", "--settings", json }))
  local decoded_ok, doctor = pcall(vim.fn.json_decode, output)
  if not (doctor_ok and decoded_ok and type(doctor) == "table") then
    report.error("`specloop doctor` failed: " .. output, {
      "Update specloop: this plugin needs a server with the `doctor` command.",
    })
    return
  end

  report.start("specloop: settings")
  if doctor.settings.ok then
    report.ok("Settings are valid.")
  else
    for _, problem in ipairs(doctor.settings.problems) do
      report.error("Invalid setting: " .. problem, {
        "Fix it in setup({ settings = { ... } }) (or vim.lsp.config's settings.specloop); "
          .. "the server uses the default for it meanwhile.",
      })
    end
  end

  report.start("specloop: isolation of generated code")
  if doctor.isolation.ok then
    report.ok("Isolation: " .. doctor.isolation.description)
  else
    report.error("Generated code cannot run isolated here: " .. doctor.isolation.description, {
      doctor.isolation.fix,
    })
  end

  report.start("specloop: model")
  local model = doctor.model
  if model.configured and model.configured ~= vim.NIL then
    local where = (model.apiBase and model.apiBase ~= vim.NIL) and (" at " .. model.apiBase) or ""
    report.ok("Model: " .. model.configured .. where)
  elseif model.ok then
    report.warn(model.note, { 'Set `model` in the settings, e.g. settings = { model = "openai/gpt-4o-mini" }.' })
  else
    report.error("No model: none is configured and the embedded one is not installed.", {
      model.fix,
    })
  end
end

return M
