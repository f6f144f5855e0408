-- Every benchmark workload for wrk. Arguments after `--`:
--   mode items_file pool_file list_limit thread_count
-- mode: get | list | create | toggle | put | delete | mix
-- items_file: lines "user token task" (task "-" for user-only items); pool_file: delete pool.
-- Each thread takes its own slice of the pool, so no task is deleted twice.

local threads = {}
local started = 0

function setup(thread)
  thread:set("thread_index", started)
  started = started + 1
  table.insert(threads, thread)
end

local MISSING = "00000000-0000-4000-8000-000000000000"
local CREATE_BODY = '{"title":"Created by the load test","description":"A new task with a '
  .. 'description of a typical length for a todo item.","is_completed":false}'
local PUT_BODY = '{"title":"Edited by the load test","description":"Replaced in full by a '
  .. 'PUT of a typical size.","is_completed":true}'

local gets, toggles, puts, lists, creates, deletes = {}, {}, {}, {}, {}, {}
local next_delete = 1
local generate
exhausted = 0

local function read_items(path, slice, slices)
  local items = {}
  if path == "-" then return items end
  local line_number = 0
  for line in io.lines(path) do
    local user, token, task = line:match("^(%S+) (%S+) (%S+)$")
    if user and line_number % slices == slice then
      items[#items + 1] = { user = user, task = task, token = token }
    end
    line_number = line_number + 1
  end
  return items
end

local function headers(token, json)
  local h = { ["Authorization"] = "Bearer " .. token }
  if json then h["Content-Type"] = "application/json" end
  return h
end

local function build(items, limit)
  local seen = {}
  for _, it in ipairs(items) do
    local base = "/api/v1/" .. it.user .. "/tasks"
    if it.task ~= "-" then
      local path = base .. "/" .. it.task
      gets[#gets + 1] = wrk.format("GET", path, headers(it.token))
      toggles[#toggles + 1] = wrk.format("PATCH", path .. "/complete", headers(it.token))
      puts[#puts + 1] = wrk.format("PUT", path, headers(it.token, true), PUT_BODY)
    end
    if not seen[it.user] then
      seen[it.user] = true
      lists[#lists + 1] = wrk.format("GET", base .. "?limit=" .. limit, headers(it.token))
      creates[#creates + 1] = wrk.format("POST", base, headers(it.token, true), CREATE_BODY)
    end
  end
end

local function pick(list)
  return list[math.random(#list)]
end

local function delete()
  local req = deletes[next_delete]
  if req then
    next_delete = next_delete + 1
    return req
  end
  exhausted = exhausted + 1  -- answered 404, so it shows up as an error
  return deletes.fallback
end

local function mix()
  local roll = math.random(100)
  if roll <= 40 then return pick(gets)
  elseif roll <= 60 then return pick(lists)
  elseif roll <= 80 then return pick(creates)
  elseif roll <= 90 then return pick(toggles)
  elseif roll <= 95 then return pick(puts)
  end
  return delete()
end

local modes = {
  get = function() return pick(gets) end,
  list = function() return pick(lists) end,
  create = function() return pick(creates) end,
  toggle = function() return pick(toggles) end,
  put = function() return pick(puts) end,
  delete = delete,
  mix = mix,
}

function init(args)
  local mode, items_path, pool_path = args[1], args[2], args[3]
  local limit, slices = tonumber(args[4]), tonumber(args[5])
  math.randomseed(1000 + thread_index)
  build(read_items(items_path, 0, 1), limit)
  for _, it in ipairs(read_items(pool_path, thread_index, slices)) do
    local path = "/api/v1/" .. it.user .. "/tasks/" .. it.task
    deletes[#deletes + 1] = wrk.format("DELETE", path, headers(it.token))
    deletes.fallback = wrk.format("DELETE", "/api/v1/" .. it.user .. "/tasks/" .. MISSING,
      headers(it.token))
  end
  generate = modes[mode]
  if generate == nil then error("unknown mode " .. tostring(mode)) end
end

function request()
  return generate()
end

function done(summary, latency, requests)
  local pool_exhausted = 0
  for _, thread in ipairs(threads) do
    pool_exhausted = pool_exhausted + (thread:get("exhausted") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,'
      .. '"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,'
      .. '"max_us":%d,"mean_us":%.1f,"pool_exhausted":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, pool_exhausted))
end
