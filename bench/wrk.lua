-- wrk script for bench/run.py: stop after a fixed number of responses, build distinct
-- booking requests, and print the results as one JSON line for run.py to read.
--
-- wrk itself always runs for its whole -d duration, so each thread timestamps its own
-- first request and last response (clock_gettime through LuaJIT's FFI), prints a line
-- when it has its share of responses, and run.py then ends wrk early with SIGINT.
--
-- Arguments (after `--`): limit_per_thread mode [mode arguments]
--   mode "get":     plain requests to the URL given to wrk
--   mode "booking": token threads services base_epoch slots_per_day slot_minutes offset
--                   POST /api/v1/bookings, each request a distinct slot (so all succeed)
--   mode "mix":     schedule_file reader_token, then the booking arguments
--                   requests taken in turn from a schedule that bench/scale.py wrote, one a
--                   line: "GET<TAB>auth<TAB>path" (auth 1: as the reader customer) or "BOOK"
--                   (a booking request as in mode "booking"); thread t starts at line t.
--
-- The JSON line also counts the answers by status ("statuses"), all threads together.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]])
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("bench_timespec")

local function now()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) + tonumber(timespec.tv_nsec) / 1e9
end

local all_threads = {}

function setup(thread)
  thread:set("tid", #all_threads)
  table.insert(all_threads, thread)
end

local limit, mode
local token, threads, services, base_epoch, slots_per_day, slot_minutes, offset
local schedule, reader_token, position = {}, nil, 0
local sent, received = 0, 0
first_request, last_response = nil, nil  -- globals, so done() can read them with thread:get
statuses = {}  -- status code (as a string) -> answers, read by done() with thread:get

local function booking_arguments(args, first)
  token = args[first]
  threads = tonumber(args[first + 1])
  services = {}
  for id in string.gmatch(args[first + 2], "[^,]+") do
    table.insert(services, tonumber(id))
  end
  base_epoch = tonumber(args[first + 3])
  slots_per_day = tonumber(args[first + 4])
  slot_minutes = tonumber(args[first + 5])
  offset = tonumber(args[first + 6])
end

function init(args)
  limit = tonumber(args[1])
  mode = args[2]
  if mode == "booking" then
    booking_arguments(args, 3)
  elseif mode == "mix" then
    for line in io.lines(args[3]) do
      if line == "BOOK" then
        table.insert(schedule, { book = true })
      else
        local method, auth, path = string.match(line, "^(%u+)\t(%d)\t(.+)$")
        table.insert(schedule, { method = method, auth = auth == "1", path = path })
      end
    end
    reader_token = args[4]
    booking_arguments(args, 5)
    position = tid % #schedule
  end
end

local function booking_request()
  -- Slot k goes to service k mod n; its time is the next free slot of that service's organizer.
  local k = offset + sent * threads + tid
  sent = sent + 1
  local n = #services
  local service = services[(k % n) + 1]
  local j = math.floor(k / n)
  local day, slot = math.floor(j / slots_per_day), j % slots_per_day
  local starts = os.date("!%Y-%m-%dT%H:%M:00+00:00", base_epoch + day * 86400 + slot * slot_minutes * 60)
  local body = string.format(
    '{"service_id": %d, "starts_at": "%s", "address": "1 Benchmark Way, Brooklyn, NY"}', service, starts
  )
  local headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("bench-%d", k),
  }
  return wrk.format("POST", "/api/v1/bookings", headers, body)
end

function request()
  if first_request == nil then
    first_request = now()
  end
  if mode == "booking" then
    return booking_request()
  elseif mode == "mix" then
    local entry = schedule[position + 1]
    position = (position + 1) % #schedule
    if entry.book then
      return booking_request()
    end
    local headers = {}
    if entry.auth then
      headers["Authorization"] = "Bearer " .. reader_token
    end
    return wrk.format(entry.method, entry.path, headers, nil)
  end
  return wrk.format(nil, nil)
end

function response(status, headers, body)
  received = received + 1
  local code = tostring(status)
  statuses[code] = (statuses[code] or 0) + 1
  last_response = now()
  if received == limit then
    io.write("BENCH_THREAD_DONE\n")
    io.stdout:flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  local started, finished = nil, nil
  local counted = {}
  for _, thread in ipairs(all_threads) do
    local first, last = thread:get("first_request"), thread:get("last_response")
    if first and (started == nil or first < started) then started = first end
    if last and (finished == nil or last > finished) then finished = last end
    for code, count in pairs(thread:get("statuses") or {}) do
      counted[code] = (counted[code] or 0) + count
    end
  end
  local parts = {}
  for code, count in pairs(counted) do
    table.insert(parts, string.format('"%s": %d', code, count))
  end
  table.sort(parts)
  local measured_us = (started and finished) and (finished - started) * 1e6 or summary.duration
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "wrk_duration_us": %d, "error_status": %d, "socket_errors": %d, '
      .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d, "statuses": {%s}}\n',
    summary.requests, measured_us, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max,
    table.concat(parts, ", ")
  ))
end
