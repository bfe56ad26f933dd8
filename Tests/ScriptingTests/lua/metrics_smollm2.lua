-- The data and metrics modules on the real default model (SmolLM2-135M-Instruct): the built-in
-- facts are facts the unedited model knows, so before any edit the true object beats the new one.

local m = model.load()
local facts = data.facts()

test("built-in facts score as known facts before editing", function()
  check(#facts >= 100, "at least 100 built-in facts, got " .. #facts)
  local first = facts:slice(1, 5)
  eq(#first, 5)
  local r = metrics.counterfact(m, first)
  eq(r.summary.count, 5); eq(#r.records, 5)
  -- es is the fraction of rewrite prompts where the NEW object scores better; before an edit
  -- the true object should win, so 1 - es is the efficacy score of the true object.
  check(1 - r.summary.es >= 0.9, "true object wins on the rewrite prompts: es = " .. r.summary.es)
  local wins = 0
  for i, rec in ipairs(r.records) do
    eq(rec.case_id, first[i].case_id)
    local s = rec.rewrite[1]
    eq(s.prompt, first[i].filled_prompt)
    if s.true_nll < s.new_nll then wins = wins + 1 end
    check(#rec.neighborhood >= 3 and #rec.paraphrase >= 1)
  end
  check(wins / 5 >= 0.9, "true object wins " .. wins .. "/5")
  check(r.summary.ns >= 0.5, "neighbourhood prompts keep their answers: ns = " .. r.summary.ns)
  check(r.summary.es_acc <= 0.1, "the new objects are not predicted")
end)

test("the default model takes the default preset", function()
  local ed = editor.memit()
  eq(ed.preset, "smollm2"); eq(ed.hparams.preset, nil, "implicit: rebuilt as implicit")
  eq(ed.hparams.v_loss_layer, 29)
  eq(ed.stats.kind, "lazy")
end)
