-- One bench scenario under wrk (driven by bench/wrk.py, configured through the environment).
--
-- Each request takes the next prepared item (a line "Authorization<TAB>body" of BENCH_ITEMS);
-- thread i takes items i, i+T, i+2T... so a single-use item (a code, a refresh token) is sent
-- exactly once. A single-use pool that runs dry stops the thread and marks the run exhausted;
-- a reusable pool starts over. A response is good only with the expected status and, when
-- BENCH_EXPECT_BODY is set, that text in its body. done() prints "BENCH key value" lines.

local threads = {}
local thread_count = 0

function setup(thread)
   thread:set("thread_index", thread_count)
   thread_count = thread_count + 1
   table.insert(threads, thread)
end

local items = {}
local cursor, stride
local method = os.getenv("BENCH_METHOD")
local path = os.getenv("BENCH_PATH")
local single_use = os.getenv("BENCH_SINGLE_USE") == "1"
local expect_status = tonumber(os.getenv("BENCH_EXPECT_STATUS"))
local expect_body = os.getenv("BENCH_EXPECT_BODY") or ""
ok, errors, queries, counted, exhausted = 0, 0, 0, 0, 0
statuses = ""
local status_counts = {}

function init(args)
   for line in io.lines(os.getenv("BENCH_ITEMS")) do
      local authorization, body = line:match("^([^\t]*)\t(.*)$")
      items[#items + 1] = { authorization, body }
   end
   stride = tonumber(os.getenv("BENCH_THREADS"))
   cursor = thread_index + 1
end

function request()
   if cursor > #items then
      if single_use then
         exhausted = 1
         wrk.thread:stop()
      end
      cursor = ((cursor - 1) % #items) + 1
   end
   local item = items[cursor]
   cursor = cursor + stride
   local headers = {}
   if item[1] ~= "" then headers["Authorization"] = item[1] end
   local body = nil
   if item[2] ~= "" then
      headers["Content-Type"] = "application/x-www-form-urlencoded"
      body = item[2]
   end
   return wrk.format(method, path, headers, body)
end

function response(status, headers, body)
   if exhausted == 1 then return end -- replies to spent items are not measurements
   local q = tonumber(headers["X-Bench-Queries"])
   if q then
      queries = queries + q
      counted = counted + 1
   end
   if status == expect_status and (expect_body == "" or (body and body:find(expect_body, 1, true))) then
      ok = ok + 1
   else
      errors = errors + 1
      status_counts[status] = (status_counts[status] or 0) + 1
      local parts = {}
      for code, count in pairs(status_counts) do parts[#parts + 1] = code .. "=" .. count end
      statuses = table.concat(parts, ",")
   end
end

function done(summary, latency, requests)
   local totals = { ok = 0, errors = 0, queries = 0, counted = 0, exhausted = 0 }
   for _, thread in ipairs(threads) do
      for key, _ in pairs(totals) do totals[key] = totals[key] + thread:get(key) end
      local s = thread:get("statuses")
      if s ~= "" then io.write("BENCH statuses ", s, "\n") end
   end
   for key, value in pairs(totals) do io.write(string.format("BENCH %s %d\n", key, value)) end
   io.write(string.format("BENCH duration_us %d\n", summary.duration))
   io.write(string.format("BENCH p50_us %d\n", latency:percentile(50)))
   io.write(string.format("BENCH p99_us %d\n", latency:percentile(99)))
   for kind, count in pairs(summary.errors) do
      if kind ~= "status" then io.write(string.format("BENCH socket_%s %d\n", kind, count)) end
   end
end
