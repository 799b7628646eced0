-- Batches of 500 events from a server-side sender, each a different
-- visitor. Bodies are built once; visitors repeat across requests, which
-- the flood limit (per visitor per minute) must allow for: see the script.
local bodies = {}
local function body(seed)
  local events = {}
  for i = 1, 500 do
    events[i] = '{"url":"https://www.example.org/page-' .. (i % 50) .. '","ip":"10.' .. seed .. '.' .. (i % 250) .. '.' .. (i % 7 + 1) ..
      '","user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"}'
  end
  return '{"events":[' .. table.concat(events, ",") .. ']}'
end
for s = 1, 200 do bodies[s] = body(s) end
request = function()
  return wrk.format("POST", "/v1/events/batch", {["Content-Type"] = "application/json"}, bodies[math.random(#bodies)])
end
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
