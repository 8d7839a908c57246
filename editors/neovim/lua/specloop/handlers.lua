-- What the specloop server asks of Neovim, handled for its clients only (the per-client
-- `handlers` of their configuration): questions with options (vim.ui.select, and
-- vim.ui.input for an answer in the user's own words), the review of a validated change,
-- documents the server shows (a diff to review, a plan, a run's report), messages too
-- long for the echo area, and progress.
local answer = require("specloop.answer")
local progress = require("specloop.progress")
local review = require("specloop.review")
local views = require("specloop.views")

local M = {}

M.OWN_WORDS = "Answer in my own words…"

local last_diff = nil -- the path of the diff the server showed for the next review

local function titles(actions)
  local found = {}
  for _, action in ipairs(actions or {}) do
    table.insert(found, action.title)
  end
  return found
end

local function is_review(actions)
  local names = titles(actions)
  return #names == 2 and names[1] == "Apply" and names[2] == "Discard"
end

-- A question the server says only the user can answer in words ("write it into the TODO").
local function wants_words(message)
  return message:find("write it into the TODO", 1, true) ~= nil
end

local function ask_question(params)
  local options = titles(params.actions)
  local choices = vim.deepcopy(options)
  if wants_words(params.message) then
    table.insert(choices, M.OWN_WORDS)
  end
  return answer.wait(function(resolve)
    vim.ui.select(choices, { prompt = "specloop: " .. params.message }, function(choice)
      if choice == M.OWN_WORDS then
        vim.ui.input({ prompt = "Your answer: " }, function(text)
          if text and text ~= "" then
            resolve({ title = text })
          else
            resolve(vim.NIL)
          end
        end)
      elseif choice then
        resolve({ title = choice })
      else
        resolve(vim.NIL)
      end
    end)
  end)
end

local function show_message_request(_, params)
  if is_review(params.actions) then
    local diff = {}
    if last_diff then
      local ok, lines = pcall(vim.fn.readfile, last_diff)
      diff = ok and lines or {}
      last_diff = nil
    end
    return review.ask(params.message, diff)
  end
  return ask_question(params)
end

local function show_document(_, params)
  local path = vim.uri_to_fname(params.uri)
  if path:match("%.diff$") then
    last_diff = path -- shown in the review that follows
    return { success = true }
  end
  views.show_file(path, { focus = params.takeFocus == true })
  return { success = true }
end

local LEVELS = { "ErrorMsg", "WarningMsg", "None", "None" }

M.history = {} -- every window/showMessage received: { type, message }

-- A message that fits the echo area is echoed; a longer one is shown whole in a split.
local function show_message(_, params)
  local text = params.message or ""
  table.insert(M.history, { type = params.type, message = text })
  local highlight = LEVELS[params.type] or "None"
  local fits = not text:find("\n") and #text + 12 < vim.o.columns
  if fits then
    vim.api.nvim_echo({ { "specloop: " .. text, highlight } }, true, {})
    return
  end
  views.show("specloop://message", views.lines(text), { slot = "message" })
  vim.api.nvim_echo({
    { "specloop: the full message is in the split below (:SpecloopLastRun for the run).", highlight },
  }, true, {})
end

-- The handlers table for a specloop client's configuration.
function M.all()
  return {
    ["window/showMessageRequest"] = show_message_request,
    ["window/showDocument"] = show_document,
    ["window/showMessage"] = show_message,
    ["$/progress"] = progress.handler,
  }
end

return M
