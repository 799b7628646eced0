-- wrk script: POST /v1/members with a unique address per request.
local counter = 0
local prefix = tostring(os.time()) .. "-" .. tostring(math.random(1000000))
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
  counter = counter + 1
  local body = '{"email":"bench-' .. prefix .. '-' .. counter .. '@example.org","name":"Bench Member",' ..
    '"membership_consent":true,"consent_version":"' .. os.getenv("CONSENT_VERSION") .. '",' ..
    '"interests":["surveys","webinars"],"audiences":["harmed-patient-family"]}'
  return wrk.format(nil, "/v1/members", nil, body)
end
