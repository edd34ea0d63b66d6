-- The lab's lookup workloads, by NEEDADB_LOOKUP:
--   by-email     GET /users?email=<a seeded email>, from ${DATA_DIR}/emails.txt;
--   user-orders  GET /users/<id>/orders for a seeded user with orders, from
--                ${DATA_DIR}/ordered-ids.txt (the join).
-- Both files are written by `npm run seed`.

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk-report.lua")

local lookup = os.getenv("NEEDADB_LOOKUP") or "by-email"
local path = (os.getenv("DATA_DIR") or "data") .. "/" ..
  (lookup == "by-email" and "emails.txt" or "ordered-ids.txt")
local threads_started = 0
local keys = {}

function setup(thread)
  threads_started = threads_started + 1
  thread:set("thread_number", threads_started)
end

local function encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  local file = io.open(path, "r")
  if not file then error(path .. " not found: seed a dataset first (npm run seed -- --orders N)") end
  for line in file:lines() do
    if #line > 0 then keys[#keys + 1] = line end
  end
  file:close()
  if #keys == 0 then error(path .. " holds nothing to look up: seed with --count and --orders above 0") end
  math.randomseed(os.time() * 100 + (thread_number or 0))
end

function request()
  local key = keys[math.random(#keys)]
  if lookup == "by-email" then return wrk.format("GET", "/users?email=" .. encode(key)) end
  return wrk.format("GET", "/users/" .. key .. "/orders")
end
