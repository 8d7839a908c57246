-- Answering a server request once the user has decided, without blocking Neovim when
-- this version allows it. Neovim 0.10+ runs request handlers inside a coroutine: the
-- handler yields and the user's decision resumes it. 0.7-0.9 call handlers directly, so
-- the answer must be ready when the handler returns (the UI there is synchronous).
local M = {}

-- Whether the handler now running may yield until the user decides.
function M.can_wait()
  local co = coroutine.running()
  return co ~= nil and coroutine.isyieldable ~= nil and coroutine.isyieldable()
end

-- Call `show(resolve)`; the value it resolves with, once it does. On 0.7-0.9 `show` must
-- resolve before it returns (vim.NIL is returned if it did not).
function M.wait(show)
  local co = M.can_wait() and coroutine.running() or nil
  local done, value, waiting = false, nil, false
  show(function(result)
    if done then
      return
    end
    done, value = true, result
    if waiting then
      local ok, err = coroutine.resume(co, result)
      if not ok then
        vim.notify("specloop: answering the server failed: " .. tostring(err), vim.log.levels.ERROR)
      end
    end
  end)
  if done or co == nil then
    if value == nil then
      return vim.NIL
    end
    return value
  end
  waiting = true
  return coroutine.yield()
end

return M
