-- The lab's mixed workload: each request is a POST from post_users.lua with probability
-- NEEDADB_WRITE_SHARE (default 0.1), otherwise a GET from random_ids.lua. Both course
-- scripts are loaded as they are, so the mix sends exactly what they send.

local root = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../../../"
local write_share = tonumber(os.getenv("NEEDADB_WRITE_SHARE") or "0.1")

dofile(root .. "random_ids.lua")
local read_request = request
dofile(root .. "post_users.lua") -- its setup() also numbers the threads, as random_ids' did
local write_request = request

function request()
  if math.random() < write_share then return write_request() end
  return read_request()
end
