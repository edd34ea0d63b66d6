-- GET /users/<id> for ids picked at random from the seeded dataset, so every request looks
-- up a different record instead of one hot row. Reads ${DATA_DIR:-data}/ids.txt, written by
-- `npm run seed`.
--   wrk -t1 -c50 -d10s -s random_ids.lua http://localhost:8081

-- The lab's JSON summary (silent unless NEEDADB_WRK_JSON is set), found beside this script.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "src/lab/load/wrk-report.lua")

local ids_file = (os.getenv("DATA_DIR") or "data") .. "/ids.txt"
local threads_started = 0
local ids = {}

-- Runs once per wrk thread in the main state: number the threads so each draws its own ids.
function setup(thread)
  threads_started = threads_started + 1
  thread:set("thread_number", threads_started)
end

function init(args)
  local file = io.open(ids_file, "r")
  if not file then
    error(ids_file .. " not found: seed a dataset first (npm run seed -- --count 1000) or set DATA_DIR")
  end
  for line in file:lines() do
    if #line > 0 then ids[#ids + 1] = line end
  end
  file:close()
  if #ids == 0 then error(ids_file .. " holds no ids: seed with --count 1 or more") end
  math.randomseed(os.time() * 100 + (thread_number or 0))
end

function request()
  return wrk.format("GET", "/users/" .. ids[math.random(#ids)])
end
