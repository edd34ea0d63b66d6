-- GET /users/<id> for ids picked at random from the seeded dataset, so every request looks
-- up a different record instead of one hot row. Reads ${DATA_DIR:-data}/ids.txt, written by
-- `npm run seed`.
--   wrk -t1 -c50 -d10s -s random_ids.lua http://localhost:8081

-- The lab's JSON summary (silent unless NEEDADB_WRK_JSON is set), found beside this script.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "src/lab/load/wrk-report.lua")

local ids_file = (os.getenv("DATA_DIR") or "data") .. "/ids.txt"
local threads_started = 0
-- The seed writes one 36-character id per line. Such a file is kept as one string and an id
-- is cut from it by offset: a table of a million Lua strings took wrk most of a second to
-- build and another half-second of garbage collection once the load had started, which
-- held down the first seconds of every read it measured at a million records.
local ID_CHARS, LINE_BYTES = 36, 37
local text, count
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
  local all = file:read("*a")
  if #all > 0 and #all % LINE_BYTES == 0 and all:sub(LINE_BYTES, LINE_BYTES) == "\n" then
    text, count = all, #all / LINE_BYTES
  else
    for line in all:gmatch("[^\n]+") do ids[#ids + 1] = line end
    count = #ids
  end
  file:close()
  if count == 0 then error(ids_file .. " holds no ids: seed with --count 1 or more") end
  math.randomseed(os.time() * 100 + (thread_number or 0))
end

function request()
  local i = math.random(count)
  local id = text and text:sub((i - 1) * LINE_BYTES + 1, (i - 1) * LINE_BYTES + ID_CHARS) or ids[i]
  return wrk.format("GET", "/users/" .. id)
end
