-- wrk script driving one benchmark scenario from a plan file written by bench/driver.py.
--
--   wrk -t1 -c16 -d8s -s bench/wrk/plan.lua http://127.0.0.1:PORT -- PLAN IDS
--
-- PLAN: one request kind per line, tab-separated: weight, method, path, token, body.
--   "{id}" in the path is replaced by a random id from IDS (one task id per line);
--   "{n}" in the body by a random integer (so every PATCH really changes the task).
-- done() prints one line "BENCHJSON {...}" that bench/driver.py reads.

local kinds = {}
local total_weight = 0
local ids = {}
local threads = {}

local function read_lines(path)
  local lines = {}
  local file = assert(io.open(path, "r"))
  for line in file:lines() do
    if line ~= "" and line:sub(1, 1) ~= "#" then
      lines[#lines + 1] = line
    end
  end
  file:close()
  return lines
end

function setup(thread)
  thread:set("thread_number", #threads + 1)
  threads[#threads + 1] = thread
end

function init(args)
  for _, line in ipairs(read_lines(args[1])) do
    local weight, method, path, token, body = line:match("^(%d+)\t(%u+)\t([^\t]+)\t([^\t]*)\t?(.*)$")
    assert(weight, "bad plan line: " .. line)
    local headers = { ["Authorization"] = "Bearer " .. token }
    if body ~= "" then
      headers["Content-Type"] = "application/json"
    else
      body = nil
    end
    total_weight = total_weight + tonumber(weight)
    kinds[#kinds + 1] = {
      upto = total_weight,
      method = method,
      path = path,
      headers = headers,
      body = body,
      needs_id = path:find("{id}", 1, true) ~= nil,
      needs_n = body ~= nil and body:find("{n}", 1, true) ~= nil,
    }
  end
  if args[2] and args[2] ~= "-" then
    ids = read_lines(args[2])
    assert(#ids > 0, "no ids in " .. args[2])
  end
  -- A fresh sequence per run and thread (os.time() alone repeats within a second).
  local seed = os.time() + (thread_number or 0) * 7919
  local urandom = io.open("/dev/urandom", "rb")
  if urandom then
    local bytes = urandom:read(4)
    urandom:close()
    seed = bytes:byte(1) + bytes:byte(2) * 256 + bytes:byte(3) * 65536 + bytes:byte(4) * 16777216
  end
  math.randomseed(seed)
end

function request()
  local kind = kinds[1]
  if #kinds > 1 then
    local pick = math.random(total_weight)
    for i = 1, #kinds do
      if pick <= kinds[i].upto then
        kind = kinds[i]
        break
      end
    end
  end
  local path = kind.path
  if kind.needs_id then
    path = path:gsub("{id}", ids[math.random(#ids)], 1)
  end
  local body = kind.body
  if kind.needs_n then
    body = body:gsub("{n}", tostring(math.random(1, 1000000000)), 1)
  end
  return wrk.format(kind.method, path, kind.headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"mean":%.1f,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50.0), latency:percentile(90.0), latency:percentile(99.0),
    latency:percentile(99.9), latency.mean, latency.max))
end
