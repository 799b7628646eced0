-- POSTs an empty text body: the baseline server answers it like a beacon.
wrk.method = "POST"
wrk.body = '{"name":"pageview","url":"https://www.example.org/"}'
wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
