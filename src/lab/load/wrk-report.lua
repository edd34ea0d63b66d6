-- Shared by random_ids.lua and post_users.lua. When NEEDADB_WRK_JSON names a file, wrk's
-- done() hook writes the run's summary there as JSON: counts, errors and latency percentiles
-- in microseconds. Run by hand, without that variable, wrk prints its usual report only.

function done(summary, latency, requests)
  local path = os.getenv("NEEDADB_WRK_JSON")
  if not path or path == "" then return end
  local file = assert(io.open(path, "w"))
  local e = summary.errors
  file:write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
  file:close()
end
