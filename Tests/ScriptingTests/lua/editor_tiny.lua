-- The editor module on the tiny editing fixture (Tests/Fixtures/editors: a 4-layer Llama with
-- SmolLM2's tokenizer), with the reference hyper-parameters, fixed templates (FIXED, from
-- fixed_inputs.json, set by the Swift test) and the fixed C0, checked against the reference
-- implementations' outputs.

local root = FIXTURES .. "/editors"
local m = model.load(root)
local stats = editor.stats(m, { file = root .. "/c0.safetensors" })
local reqs = data.requests(FIXED.requests)

local function rel(a, b)
  return (a:double() - b:double()):abs():max() / b:double():abs():max()
end

local function make(method, extra)
  local t = { hparams = root .. "/hparams_" .. method .. ".json", prompt_prefix = "none", stats = stats,
              context_templates = method == "rome" and FIXED.rome_templates or FIXED.memit_templates }
  for k, v in pairs(extra or {}) do t[k] = v end
  return editor[method](t)
end

test("imported statistics", function()
  local c0 = tensor.load(root .. "/c0.safetensors")
  eq(stats.kind, "imported")
  eq(table.concat(stats.layers, ","), "0,1,2,3", "every layer of the file, 0-based")
  local s1 = stats:c0(1)
  eq(s1.dtype, "f64"); eq(s1:size(1), 128); eq(s1:size(2), 128)
  check(s1 == c0["C0.L1"]:double(), "C0 of layer 1 is the file's tensor")
  check(tostring(stats):find("imported", 1, true))
  -- the reference .npz layout (raw sum and count) gives the same matrix
  local npz = editor.stats(m, { file = FIXTURES .. "/derived/c0_L1_reference_layout.npz", layers = { 1 } })
  check(rel(npz:c0(1), c0["C0.L1"]) < 1e-6, "npz import")
  eq(#npz.layers, 1)
end)

test("statistics collected from token documents match the reference C0", function()
  local docs = {}
  for i, text in ipairs(FIXED.c0_texts) do docs[i] = m:tokenize(text) end
  local s = editor.stats(m, { documents = docs, cache = false, layers = { 1, 2 } })
  eq(s.kind, "collected")
  eq(table.concat(s.layers, ","), "1,2")
  eq(s.token_counts[1].layer, 1); eq(s.token_counts[1].tokens, 223, "every token of the 20 texts")
  local c0 = tensor.load(root .. "/c0.safetensors")
  for _, l in ipairs({ 1, 2 }) do
    check(rel(s:c0(l), c0["C0.L" .. l]) < 1e-5, "C0 of layer " .. l .. ": " .. rel(s:c0(l), c0["C0.L" .. l]))
  end
  local s3 = s:c0(3)                      -- collected on demand
  check(rel(s3, c0["C0.L3"]) < 1e-5)
end)

test("ROME through Lua reproduces the reference edit; revert is exact", function()
  local m = model.load(root)              -- a fresh copy: a failing test leaves no edit behind
  local ref = tensor.load(root .. "/rome.safetensors")
  local ed = make("rome")
  eq(ed.name, "rome"); eq(ed.preset, nil)
  eq(ed.hparams.layers[1], 1); eq(ed.hparams.prompt_prefix, "none"); eq(ed.hparams.v_loss_layer, 3)
  eq(#ed.hparams.context_templates, 4)
  check(ed.stats == stats, "the editor uses the given statistics")
  local before = m:param("blocks.1.mlp.down"):clone()
  local untouched = m:param("blocks.2.mlp.down"):clone()
  local d = ed:apply(m, reqs[1])
  check(d:norm() > 0, "the edit changed something")
  eq(d.method, "rome")
  eq(#d.layers, 1); eq(d.layers[1].name, "blocks.1.mlp.down")
  near(d.layers[1].norm, d:norm(), 1e-12)
  eq(d.params[1], "blocks.1.mlp.down")
  check(rel(m:param("blocks.1.mlp.down"), ref["post.W.down"][2]) < 1e-5, "edited weights as the reference's")
  check(rel(d:update("blocks.1.mlp.down"), ref["b0.L1.dW"]) < 1e-3, "the update as the reference's")
  check(m:param("blocks.2.mlp.down") == untouched)
  -- the optimisation trace
  eq(#d.trace, 1)
  local tr = d.trace[1]
  local want = ref["b0.v.r0.loss_trace"]
  eq(tr.steps, want:size(1))
  check(tr.stop == "steps" or tr.stop == "loss", tr.stop)
  eq(tr.losses:size(1), want:size(1)); eq(tr.losses:size(2), 5)
  check((tr.losses:double() - want:double()):abs():max() < 1e-3, "loss trace as the reference's")
  near(d.trace.final_loss, tr.loss, 0)
  near(tr.loss, want[want:size(1)][1], 1e-3)
  for _, k in ipairs({ "statistics", "targets", "keys", "solve" }) do check(d.timings[k] >= 0, k) end
  check(tostring(d):find("Delta rome", 1, true))
  -- the weight after - before as landed, and revert
  d:revert()
  check(m:param("blocks.1.mlp.down") == before, "revert restores the weights bit for bit")
  d:revert()
  check(m:param("blocks.1.mlp.down") == before, "a second revert changes nothing")
end)

test("MEMIT through Lua reproduces the reference batch edit; state and restore", function()
  local m = model.load(root)
  local ref = tensor.load(root .. "/memit.safetensors")
  local ed = make("memit", { add_prev_edits = true })
  eq(ed.name, "memit")
  eq(table.concat(ed.hparams.layers, ","), "1,2")
  eq(ed.hparams.mom2_update_weight, 15000)
  local b1, b2 = m:param("blocks.1.mlp.down"):clone(), m:param("blocks.2.mlp.down"):clone()
  eq(next(ed:state()), nil, "no state before the first edit")
  local d = ed:apply(m, reqs:slice(1, 3))
  check(d:norm() > 0)
  eq(#d.layers, 2); eq(d.layers[1].name, "blocks.1.mlp.down"); eq(d.layers[2].name, "blocks.2.mlp.down")
  near(d:norm(), math.sqrt(d.layers[1].norm ^ 2 + d.layers[2].norm ^ 2), 1e-9)
  eq(#d.trace, 3, "one target trace per request")
  for l = 1, 2 do
    check(rel(m:param("blocks." .. l .. ".mlp.down"), ref["post.W.down"][l + 1]) < 1e-5, "layer " .. l)
  end
  -- add_prev_edits keeps the keys of the batch
  local st = ed:state()
  check(tensor.is_tensor(st["previous_keys.L1"]) and tensor.is_tensor(st["previous_keys.L2"]))
  local ed2 = make("memit", { add_prev_edits = true })
  ed2:restore(st)
  check(ed2:state()["previous_keys.L2"] == st["previous_keys.L2"], "restored state")
  raises("unknown entry 'nonsense'", function() ed2:restore({ nonsense = tensor.zeros(2) }) end)
  raises("is a number, not a Tensor", function() ed2:restore({ ["previous_keys.L1"] = 3 }) end)
  -- a file with it: d:save writes the observed changes and the exact updates
  local path = TMPDIR .. "/editlab_delta_test.safetensors"
  d:save(path)
  local saved = tensor.load(path)
  check(tensor.is_tensor(saved["blocks.2.mlp.down.update"]), "the exact update is saved too")
  check(saved["blocks.1.mlp.down"] == m:param("blocks.1.mlp.down") - b1, "observed change = after - before")
  os.remove(path)
  d:revert()
  check(m:param("blocks.1.mlp.down") == b1 and m:param("blocks.2.mlp.down") == b2, "revert restores both layers")
end)

test("hyper-parameter tables round-trip through the constructors", function()
  for _, method in ipairs(editor.presets().methods) do
    for _, preset in ipairs(editor.presets().models) do
      local ok, ed = pcall(editor[method], { preset = preset })
      if ok then
        local h = ed.hparams
        local again = editor[method](h).hparams
        for k, v in pairs(h) do
          if type(v) == "table" then
            eq(#again[k], #v, method .. "/" .. preset .. " " .. k)
          else
            eq(again[k], v, method .. "/" .. preset .. " " .. k)
          end
        end
        eq(ed.preset, preset)
      else
        check(tostring(ed):find("not published", 1, true), tostring(ed))   -- ENCORE on GPT-J
      end
    end
  end
  local d = editor.memit()
  eq(d.preset, "smollm2", "without preset or hparams: the default model's preset")
  eq(table.concat(d.hparams.layers, ","), "4,5,6,7,8")
  eq(editor.preset("encore", "smollm2").update_norm_lambda, editor.encore().hparams.update_norm_lambda)
  eq(editor.memit{ layers = { 3, 4 } }.hparams.layers[2], 4, "table values override the preset")
  eq(editor.rome{ preset = "gpt2-xl" }.hparams.layers[1], 17)
  eq(editor.alphaedit{ nullspace_energy = 0.05 }.hparams.nullspace_energy, 0.05)
  eq(editor.memit{ hparams = root .. "/hparams_memit.json" }.hparams.mom2_update_weight, 15000)
  check(tostring(editor.emmet()):find("Editor emmet", 1, true))
  eq(editor.encore().stats.kind, "lazy", "without stats: collected on the first apply")
end)

test("causal tracing", function()
  local tr = editor.trace(m, { prompt = "{} is located in the city of", subject = "The Eiffel Tower", samples = 3 })
  local n = #tr.tokens
  eq(tr.scores:size(1), 4); eq(tr.scores:size(2), n)
  check(tr.subject_first >= 1 and tr.subject_first <= tr.subject_last and tr.subject_last < n)
  check(tr.clean > 0 and tr.clean <= 1 and tr.corrupted >= 0)
  check(tr.noise > 0)
  eq(math.type(tr.answer), "integer")
  near(tr.scores[4][n], tr.clean, 1e-12, "restoring the last block at the last position restores the clean run")
  local paris = editor.trace(m, { prompt = "{} is located in the city of", subject = "The Eiffel Tower", answer = "Paris",
                                  samples = 2, kind = "mlp", window = 2, noise = 0.5, seed = 7 })
  eq(paris.answer_token, " Paris"); eq(paris.noise, 0.5)
  local avg = editor.trace_average(m, reqs:slice(1, 2), { samples = 2 })
  eq(avg.average:size(1), 4); eq(avg.average:size(2), 6); eq(#avg.classes, 6); eq(avg.count, 2)
end)
