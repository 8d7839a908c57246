-- The review of a validated change before it is applied: a read-only split holding the
-- server's message and the diff, decided only by explicit keys (a apply, d discard,
-- q close without applying). <Esc> and any other key never decide.
--  * Neovim 0.10+: the split opens without taking focus, so nothing typed in the code
--    reaches it; the user goes there (:SpecloopReview) and decides while the server waits.
--  * Neovim 0.7-0.9 must answer before the handler returns, so the review takes the keys
--    until a decision; keys typed ahead are dropped, and a key decides only after a pause
--    (`guard_ms`) since the previous key, so a burst of typing never applies or discards.
local answer = require("specloop.answer")
local views = require("specloop.views")

local M = {}

M.NAME = "specloop://review"
M.guard_ms = 1000
M.current = nil -- { bufnr, win, decide } while a review is open

local HELP = "  a  apply    d  discard    q  close without applying"

local function review_lines(message, diff_lines)
  local lines = { "specloop: review this change before it is applied", "" }
  vim.list_extend(lines, views.lines(message))
  vim.list_extend(lines, { "", HELP, string.rep("-", 60) })
  vim.list_extend(lines, diff_lines)
  return lines
end

local function finish(title, why)
  local current = M.current
  M.current = nil
  views.close("review")
  if why then
    vim.api.nvim_echo({ { "specloop: " .. why, "WarningMsg" } }, true, {})
  end
  if current then
    current.resolve({ title = title })
  end
end

local CLOSED = "you closed the review, so the change was not applied; :SpecloopLastRun shows "
  .. "its report."

-- 0.10+: buffer-local keys in a split that does not take focus; the decision resumes the
-- waiting request handler.
local function review_async(lines, resolve)
  local bufnr, win = views.show(M.NAME, lines, { slot = "review", filetype = "diff" })
  M.current = { bufnr = bufnr, win = win, resolve = resolve }
  local function map(key, title, why)
    vim.keymap.set("n", key, function()
      finish(title, why)
    end, { buffer = bufnr, nowait = true, desc = "specloop review: " .. title })
  end
  map("a", "Apply")
  map("d", "Discard")
  map("q", "Discard", CLOSED)
  vim.api.nvim_echo({
    {
      "specloop: a validated change waits for your review in the split below "
        .. "(:SpecloopReview goes there; a applies, d discards).",
      "WarningMsg",
    },
  }, true, {})
end

local function now_ms()
  return vim.loop.hrtime() / 1e6
end

-- 0.7-0.9: the review has the focus and reads keys itself until a decision.
local function review_modal(lines, resolve)
  local previous = vim.api.nvim_get_current_win()
  local bufnr, win = views.show(M.NAME, lines, { slot = "review", filetype = "diff", focus = true })
  M.current = { bufnr = bufnr, win = win, resolve = resolve }
  while vim.fn.getchar(1) ~= 0 do -- typed before the review appeared: not meant for it
    vim.fn.getchar()
  end
  local hint = "specloop review: a applies, d discards, q closes without applying "
    .. "(after a pause since your last key)"
  vim.api.nvim_echo({ { hint, "WarningMsg" } }, false, {})
  vim.cmd("redraw")
  local last_key = now_ms()
  local scroll = { j = "j", k = "k", ["\4"] = "\4", ["\21"] = "\21", G = "G", g = "gg" }
  while M.current do
    local ok, key = pcall(vim.fn.getchar)
    local char = ok and (type(key) == "number" and vim.fn.nr2char(key) or key) or ""
    local paused = now_ms() - last_key >= M.guard_ms
    last_key = now_ms()
    if scroll[char] and vim.api.nvim_win_is_valid(win) then
      vim.api.nvim_win_call(win, function()
        vim.cmd("normal! " .. scroll[char])
      end)
    elseif paused and char == "a" then
      finish("Apply")
    elseif paused and char == "d" then
      finish("Discard")
    elseif paused and char == "q" then
      finish("Discard", CLOSED)
    else
      vim.api.nvim_echo({ { hint, "WarningMsg" } }, false, {})
    end
    vim.cmd("redraw")
  end
  if vim.api.nvim_win_is_valid(previous) then
    vim.api.nvim_set_current_win(previous)
  end
end

-- Review the change: `message` is the server's, `diff_lines` the diff. Returns the
-- MessageActionItem to answer with ({ title = "Apply" } or { title = "Discard" }).
function M.ask(message, diff_lines)
  return answer.wait(function(resolve)
    local lines = review_lines(message, diff_lines)
    if answer.can_wait() then
      review_async(lines, resolve)
    else
      review_modal(lines, resolve)
    end
  end)
end

-- :SpecloopReview: go to the open review.
function M.focus()
  if M.current and vim.api.nvim_win_is_valid(M.current.win) then
    vim.api.nvim_set_current_win(M.current.win)
    return true
  end
  vim.api.nvim_echo({ { "specloop: no change is waiting for review." } }, false, {})
  return false
end

return M
