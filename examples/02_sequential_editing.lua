-- Sequential knowledge editing, watched batch by batch: the norm of the edited matrices grows,
-- the activations at the edited layers shrink and move, and the model drifts (the KL canary),
-- while earlier edits may stop holding. Everything goes into a resumable run: kill it at any
-- point and run it again to continue (resume = true by default).
--
--   editlab run examples/02_sequential_editing.lua [key=value ...]
--
--   editor=memit        rome, memit, emmet, alphaedit or encore
--   n=100               number of edits (built-in facts, one per subject, seeded sample)
--   batch=10            edits per batch
--   model=PATH          a model (default: the default model, SmolLM2-135M)
--   hparams=FILE        hyper-parameters (JSON/YAML); default: the default model's preset
--   c0=FILE             imported C0 statistics (.safetensors with C0.L<layer>); default: collected
--   dir=PATH            the run directory (default: ~/.cache/editlab/runs/02-<editor>)
--   resume=true         continue the run in dir (false: start again, replacing it)
--   checkpoint_every=5  batches between checkpoints
--   probes=24           probe sentences for activations and the KL canary
--
-- Conventions: layer numbers are 0-based (blocks.4 is the fifth block).

local defaults = { editor = "memit", n = "100", batch = "10", resume = "true", checkpoint_every = "5", probes = "24" }
local known = { model = true, hparams = true, c0 = true, dir = true }
local opt = {}
for k, v in pairs(defaults) do opt[k] = v end
for _, a in ipairs(arg) do
  local k, v = a:match("^([%w_]+)=(.*)$")
  if not k or not (defaults[k] or known[k]) then
    error("unknown argument '" .. a .. "' (expected key=value with key one of: editor, n, batch, model, hparams, c0, dir, resume, checkpoint_every, probes)", 0)
  end
  opt[k] = v
end
local n, B = math.tointeger(tonumber(opt.n)), math.tointeger(tonumber(opt.batch))
local P = math.tointeger(tonumber(opt.probes))
assert(n and n > 0 and B and B > 0 and P and P >= 4, "n, batch and probes must be positive integers (probes at least 4)")

-- The model, the editor and the edits
assert(editor[opt.editor] and opt.editor ~= "stats" and opt.editor ~= "trace" and opt.editor ~= "presets" and opt.editor ~= "preset",
  "editor must be one of rome, memit, emmet, alphaedit, encore")
local m = model.load(opt.model)
local stats = opt.c0 and editor.stats(m, { file = opt.c0 }) or nil
local ed = editor[opt.editor]{ hparams = opt.hparams, stats = stats }
local prefix = ed.hparams.prompt_prefix
local facts = data.facts():sample{ n = n, seed = 0 }

-- Which matrices to watch: the edited ones and two that are not edited
local nl = m.config.n_layers
local edited, is_edited = {}, {}
for _, l in ipairs(ed.hparams.layers) do edited[#edited + 1] = l; is_edited[l] = true end
local unedited = {}
for _, l in ipairs({ 2, 12, 0, nl - 1 }) do
  if #unedited < 2 and l < nl and not is_edited[l] and l ~= unedited[1] then unedited[#unedited + 1] = l end
end
local watched, names = {}, {}
for _, l in ipairs(edited) do watched[#watched + 1] = l end
for _, l in ipairs(unedited) do watched[#watched + 1] = l end
for i, l in ipairs(watched) do names[i] = "blocks." .. l .. ".mlp.down" end

-- What the unedited model looks like: weights, activations at the edited layers, next tokens
local w0 = m:snapshot(names)
local probes = data.probe_prompts(P)
local last = edited[#edited]
local hooks = {}
for _, l in ipairs(edited) do hooks[#hooks + 1] = "blocks." .. l .. ".hook_mlp_out" end
hooks[#hooks + 1] = "blocks." .. last .. ".hook_resid_post"
local function activations() return metrics.activations(m, probes, { hooks = hooks, keep = "last", prefix = prefix }) end
local base = activations()
local reference = metrics.next_token_reference(m, probes, { prefix = prefix })
local k = math.min(10, P - 2)

local run = lab.run{ name = "02-" .. opt.editor, dir = opt.dir, model = m, editor = ed,
                     resume = opt.resume == "true", overwrite = opt.resume ~= "true",
                     checkpoint_every = math.tointeger(tonumber(opt.checkpoint_every)) }

-- One row of measurements of the model as it is now
local function measure(row)
  row.norm, row.dnorm = {}, {}
  for i, l in ipairs(watched) do
    row.norm["L" .. l] = metrics.frobenius(m, names[i])
    row.dnorm["L" .. l] = metrics.delta_frobenius(m, names[i], w0)
  end
  local now = activations()
  local shift = metrics.subspace_shift(base, now, { k = k })
  row.act, row.shift = {}, {}
  for _, h in ipairs(hooks) do
    local key = h:gsub("^blocks%.", "L"):gsub("%.hook_", ".")       -- L4.mlp_out, L8.resid_post
    local s = shift.by_name[h]
    row.act[key] = now:hook(h).mean_norm
    row.shift[key] = { norm_ratio = s.norm_ratio, cka = s.cka, overlap = s.projection_overlap }
  end
  row.kl = reference:divergence(m).mean
  return row
end

local function show(row)
  local function f(x, w, p) return x and string.format("%" .. w .. "." .. p .. "f", x) or string.rep(" ", w - 1) .. "-" end
  local s = row.shift["L" .. last .. ".resid_post"]
  print(string.format("%5d %6s %6s %9s %9s %9s %8s %7s %9s", row.edit, f(row.efficacy, 6, 2), f(row.retention, 6, 2),
    f(row.norm["L" .. last], 9, 3), f(row.dnorm["L" .. last], 9, 4), f(row.norm["L" .. unedited[1]], 9, 3),
    f(s.norm_ratio, 8, 4), f(s.cka, 7, 4), f(row.kl, 9, 5)))
end

print(string.format("%s on %s: %d edits in batches of %d, edited blocks.{%s}.mlp.down; run %s", ed.name, m.config.name, n, B,
  table.concat(edited, ","), run.dir))
print(string.format("%5s %6s %6s %9s %9s %9s %8s %7s %9s", "edits", "eff", "ret", "|W|L" .. last, "|dW|L" .. last,
  "|W|L" .. unedited[1], "act_ratio", "cka", "KL"))
local start = measure{ edit = 0, batch = 0 }
run:log(start)
show(start)

for i, batch in run:each(facts, { batch = B }) do
  ed:apply(m, batch)
  local row = { edit = math.min(i * B, n), batch = i }
  row.efficacy = metrics.retention(m, batch, { prefix = prefix }).fraction
  if i > 1 then row.retention = metrics.retention(m, facts:slice(1, (i - 1) * B), { prefix = prefix }).fraction end
  measure(row)
  run:log(row)
  show(row)
end

local y_norm = {}
for _, l in ipairs(watched) do y_norm[#y_norm + 1] = "norm.L" .. l end
run:plot{ x = "edit", y = y_norm, file = "norms.svg", title = ed.name .. ": Frobenius norm of blocks.L.mlp.down" }
run:plot{ x = "edit", y = { "shift.L" .. last .. ".resid_post.norm_ratio", "shift.L" .. last .. ".resid_post.cka", "efficacy", "retention" },
          file = "activations.svg", title = ed.name .. ": activations after block " .. last .. " and edit success" }
run:plot{ x = "edit", y = { "kl" }, file = "kl.svg", title = ed.name .. ": KL canary (reference || edited)" }
print("metrics: " .. run.dir .. "/metrics.csv, plots: norms.svg, activations.svg, kl.svg")
run:close()
