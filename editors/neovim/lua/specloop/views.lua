-- Read-only splits: a run's report or plan, and messages too long for the echo area.
-- One window per kind of view is reused, so repeated runs do not pile up splits.
local M = {}

local windows = {} -- view name -> window id

-- Show `lines` in a read-only scratch buffer named `name`, in a split below the current
-- window: the one of `opts.slot` (default: the name) is reused if open. Focus moves there
-- only when `opts.focus` is true. The buffer and window numbers.
function M.show(name, lines, opts)
  opts = opts or {}
  local previous = vim.api.nvim_get_current_win()
  local bufnr = vim.fn.bufnr("^" .. vim.fn.escape(name, "\\/.*$^~[]") .. "$")
  if bufnr == -1 then
    bufnr = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(bufnr, name)
    vim.bo[bufnr].bufhidden = "hide"
  end
  vim.bo[bufnr].modifiable = true
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, lines)
  vim.bo[bufnr].modifiable = false
  vim.bo[bufnr].modified = false
  if opts.filetype then
    vim.bo[bufnr].filetype = opts.filetype
  end
  local slot = opts.slot or name
  local win = windows[slot]
  if not (win and vim.api.nvim_win_is_valid(win)) then
    vim.cmd("belowright split")
    win = vim.api.nvim_get_current_win()
    windows[slot] = win
  end
  vim.api.nvim_win_set_buf(win, bufnr)
  vim.api.nvim_win_set_cursor(win, { 1, 0 })
  vim.keymap.set("n", "q", function()
    M.close(slot)
  end, { buffer = bufnr, nowait = true, desc = "specloop: close this view" })
  if opts.focus then
    vim.api.nvim_set_current_win(win)
  elseif vim.api.nvim_win_is_valid(previous) then
    vim.api.nvim_set_current_win(previous)
  end
  return bufnr, win
end

-- Show a file (a report, a plan, a diff) read-only.
function M.show_file(path, opts)
  local ok, lines = pcall(vim.fn.readfile, path)
  if not ok then
    lines = { "specloop could not read " .. path .. ": " .. tostring(lines) }
  end
  opts = opts or {}
  if not opts.filetype then
    if path:match("%.md$") then
      opts.filetype = "markdown"
    elseif path:match("%.diff$") then
      opts.filetype = "diff"
    end
  end
  opts.slot = opts.slot or "document"
  return M.show("specloop://" .. vim.fn.fnamemodify(path, ":t"), lines, opts)
end

-- Close the view of `slot` if it is open.
function M.close(slot)
  local win = windows[slot]
  windows[slot] = nil
  if win and vim.api.nvim_win_is_valid(win) and #vim.api.nvim_list_wins() > 1 then
    vim.api.nvim_win_close(win, true)
  end
end

-- Split `text` into lines for a buffer.
function M.lines(text)
  return vim.split(text, "\n", { plain = true })
end

return M
