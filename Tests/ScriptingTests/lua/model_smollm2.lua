-- A little of the model API on the real default model (SmolLM2-135M-Instruct), against the
-- golden values of Tests/Fixtures/smollm2/golden.json (GOLDEN, set by the Swift test).

local m = model.load()

test("tokenize and decode match the reference tokenizer", function()
  for _, case in ipairs(GOLDEN.tokenize) do
    local got = m:tokenize(case.text)
    eq(table.concat(got, ","), table.concat(case.ids, ","), "ids of " .. case.text)
    eq(m:decode(case.ids), case.text, "decode")
  end
  local tok = m.tokenizer
  eq(tok.vocab_size, 49152); eq(#tok, 49152)
  eq(tok:token(7042), "ĠParis"); eq(tok:id("ĠParis"), 7042); eq(tok:id("no such token spelled so"), nil)
  eq(tok:decode({ 7042 }), " Paris")
  eq(tok:encode("Hello world")[2], 905)
  eq(m:tokenize("Hi", { bos = true })[1], tok.bos_id)
  check(tostring(tok):find("49152 tokens", 1, true))
end)

test("next-token distributions match the reference", function()
  for _, case in ipairs(GOLDEN.next_token) do
    local top = m:next_token_distribution(case.prompt, 5)
    eq(top[1].id, case.top10[1].id, "most probable token after: " .. case.prompt)
    eq(top[1].token, case.top10[1].token)
    for k = 1, 3 do
      near(math.log(top[k].prob), case.top10[k].logprob, 5e-3, case.prompt .. " #" .. k)
    end
  end
end)

test("generation", function()
  local text, new = m:generate("The capital of France is", { max_tokens = 4 })
  check(text:sub(1, 24) == "The capital of France is", text)
  eq(new[1], 7042, "greedy: ' Paris' first")
  check(text:find("Paris", 1, true), text)
  local a = m:generate("Once upon a time", { max_tokens = 8, temperature = 0.8, top_k = 40, top_p = 0.95, seed = 7 })
  local b = m:generate("Once upon a time", { max_tokens = 8, temperature = 0.8, top_k = 40, top_p = 0.95, seed = 7 })
  eq(a, b, "a seed reproduces a sampled continuation")
  local two = m:generate({ "Paris is", "Rome is" }, { max_tokens = 2 })
  eq(#two, 2); check(two[2]:sub(1, 7) == "Rome is")
end)

test("residual stream norms at every block", function()
  local _, cache = m:run_with_cache("The Eiffel Tower is in", { names = "blocks.*.hook_resid_post", logits = "none" })
  local n = 0
  for i = 0, m.config.n_layers - 1 do
    local h = cache["blocks." .. i .. ".hook_resid_post"]
    check(h and h:norm() > 0, "block " .. i)
    n = n + 1
  end
  eq(n, 30)
end)
