dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
