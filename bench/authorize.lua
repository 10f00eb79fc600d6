-- wrk script: POST /sim/v1/authorizations on cards read from a file, with varied amounts.
--
--   wrk -t2 -c64 -d10s -s bench/authorize.lua http://127.0.0.1:PORT -- CARDS_FILE API_KEY
--
-- CARDS_FILE has one card id a line (bench/setup_data.py writes cards_standard.txt and
-- cards_hot.txt). Each request picks a card uniformly and an amount: 95 % from 1.00 to
-- 150.00 USD, 5 % from 25,000 to 60,000 USD (beyond every balance and card limit of the data
-- set: declined 51 or 61). The cards with a 200 USD card limit (a tenth of the hot ones)
-- decline once it is spent; the rest keep about the same share of declines through a run.
-- Every request has its own Idempotency-Key: a random prefix per thread and run, plus a
-- counter.
--
-- done() prints one line "BENCH_RESULT {json}" with the authorizations per second (201
-- answers), latency percentiles, the approved / declined counts seen in response() and the
-- count of each response_code.

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads + 1)
  table.insert(threads, thread)
end

local cards = {}
local prefix = ""
local counter = 0
approved = 0
declined = 0
other_201 = 0
non_201 = 0
first_error = ""
codes = {}  -- response_code -> count

local function random_hex(n)
  local f = io.open("/dev/urandom", "rb")
  local bytes = f:read(n)
  f:close()
  local seed = 0
  local hex = bytes:gsub(".", function(c)
    seed = (seed * 256 + c:byte()) % 2147483647
    return string.format("%02x", c:byte())
  end)
  return hex, seed
end

function init(args)
  local path, api_key = args[1], args[2]
  if path == nil or api_key == nil then
    error("usage: wrk ... -s authorize.lua URL -- CARDS_FILE API_KEY")
  end
  for line in io.lines(path) do
    if #line > 0 then cards[#cards + 1] = line end
  end
  if #cards == 0 then error("no card ids in " .. path) end
  local hex, seed = random_hex(8)
  math.randomseed(seed + (thread_index or 0))
  prefix = "bench-" .. hex .. "-" .. tostring(thread_index or 0) .. "-"
  wrk.method = "POST"
  wrk.path = "/sim/v1/authorizations"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["x-api-key"] = api_key
end

function request()
  counter = counter + 1
  local card = cards[math.random(#cards)]
  local cents
  if math.random(100) <= 5 then
    cents = math.random(2500000, 6000000)
  else
    cents = math.random(100, 15000)
  end
  local body = string.format(
    '{"card_id":"%s","amount":"%d.%02d","currency":"USD","merchant":{"name":"Bench Shop","mcc":"5411","country":"US"}}',
    card, math.floor(cents / 100), cents % 100)
  wrk.headers["Idempotency-Key"] = prefix .. counter
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status == 201 then
    local code = body:match('"response_code":"(%w+)"')
    if code then codes[code] = (codes[code] or 0) + 1 end
    if body:find('"status":"APPROVED"', 1, true) then
      approved = approved + 1
    elseif body:find('"status":"DECLINED"', 1, true) then
      declined = declined + 1
    else
      other_201 = other_201 + 1
    end
  else
    non_201 = non_201 + 1
    if first_error == "" then first_error = tostring(status) .. " " .. string.sub(body or "", 1, 200) end
  end
end

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

function done(summary, latency, requests)
  local a, d, o, n, err = 0, 0, 0, 0, ""
  local all_codes = {}
  for _, t in ipairs(threads) do
    for code, count in pairs(t:get("codes") or {}) do all_codes[code] = (all_codes[code] or 0) + count end
    a = a + t:get("approved")
    d = d + t:get("declined")
    o = o + t:get("other_201")
    n = n + t:get("non_201")
    if err == "" then err = t:get("first_error") or "" end
  end
  local code_list = {}
  for code, count in pairs(all_codes) do code_list[#code_list + 1] = string.format('"%s":%d', code, count) end
  table.sort(code_list)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_s":%.3f,"auth_per_s":%.1f,"requests_per_s":%.1f,' ..
    '"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"mean_ms":%.3f,"max_ms":%.3f,' ..
    '"approved":%d,"declined":%d,"other_201":%d,"non_201":%d,' ..
    '"response_codes":{%s},"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"first_error":%s}\n',
    summary.requests, seconds, (a + d) / seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.mean / 1000, latency.max / 1000,
    a, d, o, n, table.concat(code_list, ","), e.connect, e.read, e.write, e.timeout, json_string(err)))
end
