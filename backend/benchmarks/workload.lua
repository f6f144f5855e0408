-- Every benchmark workload for wrk (one thread). Arguments after `--`:
--   mode items_file pool_file list_limit create_body put_body
-- mode: get | list | create | toggle | put | delete | mix
-- items_file: lines "user token task" (task "-" for user-only items); pool_file: tasks to
-- delete, each once ("-": none); past its end a delete asks for a missing task (a 404).

local MISSING = "00000000-0000-4000-8000-000000000000"
local gets, toggles, puts, lists, creates, deletes = {}, {}, {}, {}, {}, {}
local next_delete, generate = 1, nil

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

local function pick(list) return list[math.random(#list)] end

local function delete()
  next_delete = next_delete + 1
  return deletes[next_delete - 1] or deletes.fallback
end

local modes = { delete = delete }
for mode, list in pairs({ get = gets, list = lists, create = creates, toggle = toggles, put = puts }) do
  modes[mode] = function() return pick(list) end
end
function modes.mix() -- 40% get, 20% list, 20% create, 10% toggle, 5% put, 5% delete
  local roll = math.random(100)
  if roll <= 40 then return pick(gets)
  elseif roll <= 60 then return pick(lists)
  elseif roll <= 80 then return pick(creates)
  elseif roll <= 90 then return pick(toggles)
  elseif roll <= 95 then return pick(puts)
  end
  return delete()
end

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
  generate = modes[mode] or error("unknown mode " .. tostring(mode))
end

function request() return generate() end

function done(summary, latency)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, e.status + e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
