-- The final figures of runs side by side: the last metrics row of each run (every key), and
-- the mean of 'efficacy' over its rows.
--
--   editlab run scripts/compare_runs.lua RUN_DIR [RUN_DIR ...]

local dirs = { ... }
if #dirs == 0 then error("usage: editlab run scripts/compare_runs.lua RUN_DIR [RUN_DIR ...]", 0) end

-- Keys in the order run:log writes them: dotted parts compared one by one, numbers numerically.
local function before(a, b)
  local pa, pb = {}, {}
  for s in (a .. "."):gmatch("([^.]*)%.") do pa[#pa + 1] = s end
  for s in (b .. "."):gmatch("([^.]*)%.") do pb[#pb + 1] = s end
  for i = 1, math.min(#pa, #pb) do
    if pa[i] ~= pb[i] then
      local x, y = math.tointeger(tonumber(pa[i])), math.tointeger(tonumber(pb[i]))
      if x and y then return x < y end
      return pa[i] < pb[i]
    end
  end
  return #pa < #pb
end

local finals, means, names, keys, seen = {}, {}, {}, {}, {}
for i, dir in ipairs(dirs) do
  local rows = lab.metrics(dir)
  if #rows == 0 then error(dir .. ": no metrics logged yet", 0) end
  finals[i] = rows[#rows]
  local sum, count = 0, 0
  for _, r in ipairs(rows) do
    if type(r.efficacy) == "number" and r.efficacy == r.efficacy then sum, count = sum + r.efficacy, count + 1 end
  end
  means[i] = count > 0 and sum / count or nil
  names[i] = dir:gsub("/+$", ""):match("[^/]+$") or dir
  for k in pairs(finals[i]) do
    if not seen[k] then seen[k] = true; keys[#keys + 1] = k end
  end
end
table.sort(keys, before)

local width = 12
for _, n in ipairs(names) do width = math.max(width, #n) end
local keyWidth = 8
for _, k in ipairs(keys) do keyWidth = math.max(keyWidth, #k) end
local function cell(v)
  if v == nil then return "-" end
  if math.type(v) == "integer" then return tostring(v) end
  if type(v) == "number" then return string.format("%.6g", v) end
  return tostring(v)
end
local function line(label, values)
  local parts = { string.format("%-" .. keyWidth .. "s", label) }
  for i = 1, #dirs do parts[#parts + 1] = string.format("%" .. width .. "s", cell(values[i])) end
  print(table.concat(parts, "  "))
end

line("final row", names)
for _, k in ipairs(keys) do
  local values = {}
  for i = 1, #dirs do values[i] = finals[i][k] end
  line(k, values)
end
line("efficacy (mean)", means)
print("\nruns (metrics.jsonl, metrics.csv, *.svg plots, checkpoints/):")
for _, dir in ipairs(dirs) do print("  " .. dir) end
