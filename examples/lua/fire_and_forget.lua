-- SPDX-License-Identifier: MIT
-- fire_and_forget.lua - a task nobody holds still runs to its end (the
-- loop keeps it); when it fails and nobody looks, the error still reaches
-- the loop's error handler, here a Lua function.
local acore = require "acore"

local loop <close> = acore.new_loop()
local reports = {}
loop:set_error_handler(function(ctx)
  reports[#reports + 1] = ctx
  print("reported: " .. ctx.message .. " (" .. ctx.name .. "): " .. tostring(ctx.error))
end)

loop:run_until_complete(function()
  acore.spawn(function() acore.sleep(0.001) print("background work done") end)
  acore.spawn(function() acore.sleep(0.001) error("the upload failed") end)
  acore.sleep(0.005) -- the caller goes on; it holds neither task
end)
collectgarbage() -- the failed task is freed: its error is reported
loop:run_once(true)
assert(#reports == 1, "the failure was reported")
