-- POST /users with a body that is unique on every request: each wrk thread numbers its own
-- requests, and the run's start time keeps two runs from repeating each other.
--   wrk -t4 -c50 -d10s -s post_users.lua http://localhost:8081

-- The lab's JSON summary (silent unless NEEDADB_WRK_JSON is set), found beside this script.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "src/lab/load/wrk-report.lua")

-- The lab may ask for a Prefer: header on every POST (NEEDADB_PREFER); plain wrk sends none.
local headers = { ["Content-Type"] = "application/json" }
local prefer = os.getenv("NEEDADB_PREFER")
if prefer and prefer ~= "" then headers["Prefer"] = prefer end

local threads_started = 0
local run = os.time()
local sent = 0

function setup(thread)
  threads_started = threads_started + 1
  thread:set("thread_number", threads_started)
  thread:set("run", run)
end

function request()
  sent = sent + 1
  local tag = string.format("%d-%d-%d", run, thread_number or 0, sent)
  local body = string.format('{"name":"User %s","email":"user%s@example.com"}', tag, tag)
  return wrk.format("POST", "/users", headers, body)
end
