-- One page-view beacon per request, as navigator.sendBeacon sends it
-- (text/plain JSON), from a random visitor address behind the trusted proxy.
local pages = {"/", "/about", "/join", "/donate", "/news", "/stories/story-1", "/resources/guide-2", "/support"}
local agents = {
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
  "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
}
request = function()
  local ip = "10." .. math.random(0, 255) .. "." .. math.random(0, 255) .. "." .. math.random(1, 254)
  local body = '{"name":"pageview","url":"https://www.example.org' .. pages[math.random(#pages)] ..
    '","referrer":"https://www.google.com/","screen_width":1280}'
  return wrk.format("POST", "/v1/events", {
    ["Content-Type"] = "text/plain;charset=UTF-8",
    ["User-Agent"] = agents[math.random(#agents)],
    ["X-Forwarded-For"] = ip,
  }, body)
end
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
