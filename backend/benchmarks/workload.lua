-- Every benchmark workload for wrk (one thread). Arguments after `--`:
--   mode items_file pool_file list_limit create_body put_body
-- mode: get | list | create | toggle | put | delete | mix
-- items_file: lines "user token task" (task "-" for user-only items); pool_file: tasks to
-- delete, each once ("-": none). Past the end of the pool a delete asks for a missing task,
-- answered 404, so it shows up as an error.

local MISSING = "00000000-0000-4000-8000-000000000000"
local gets, toggles, puts, lists, creates, deletes = {}, {}, {}, {}, {}, {}
local next_delete = 1
local generate

local function read_items(path)
  local items = {}
  if path == "-" then return items end
  for line in io.lines(path) do
    local user, token, task = line:match("^(%S+) (%S+) (%S+)$")
    if user then items[#items + 1] = { user = user, task = task, token = token } end
  end
  return items
end

local function headers(token, json)
  local h = { ["Authorization"] = "Bearer " .. token }
  if json then h["Content-Type"] = "application/json" end
  return h
end

local function pick(list)
  return list[math.random(#list)]
end

local function delete()
  local req = deletes[next_delete]
  next_delete = next_delete + 1
  return req or deletes.fallback
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
  local mode, items_path, pool_path, limit, create_body, put_body = unpack(args)
  math.randomseed(1000)
  local seen = {}
  for _, it in ipairs(read_items(items_path)) do
    local base = "/api/v1/" .. it.user .. "/tasks"
    if it.task ~= "-" then
      local path = base .. "/" .. it.task
      gets[#gets + 1] = wrk.format("GET", path, headers(it.token))
      toggles[#toggles + 1] = wrk.format("PATCH", path .. "/complete", headers(it.token))
      puts[#puts + 1] = wrk.format("PUT", path, headers(it.token, true), put_body)
    end
    if not seen[it.user] then
      seen[it.user] = true
      lists[#lists + 1] = wrk.format("GET", base .. "?limit=" .. limit, headers(it.token))
      creates[#creates + 1] = wrk.format("POST", base, headers(it.token, true), create_body)
    end
  end
  for _, it in ipairs(read_items(pool_path)) do
    local base = "/api/v1/" .. it.user .. "/tasks/"
    deletes[#deletes + 1] = wrk.format("DELETE", base .. it.task, headers(it.token))
    deletes.fallback = wrk.format("DELETE", base .. MISSING, headers(it.token))
  end
  generate = modes[mode]
  if generate == nil then error("unknown mode " .. tostring(mode)) end
end

function request()
  return generate()
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.status + e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
