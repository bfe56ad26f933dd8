-- The data module: requests built in Lua, the Requests list, the loaders on files written
-- here in each published layout, the seeded sampler, built-in facts, probe prompts, corpora.

local function write(name, text)
  local path = TMPDIR .. "/" .. name
  local f = assert(io.open(path, "w")); f:write(text); f:close()
  return path
end

local messi = { prompt = "{} plays the sport of", subject = "Lionel Messi", target_new = "tennis",
                target_true = { str = "football", id = "Q2736" }, case_id = 7, relation_id = "P641",
                paraphrase_prompts = { "Lionel Messi is a professional" },
                neighborhood_prompts = { "Neymar plays the sport of", { prompt = "Pele played", target = "football" } } }

test("a request built from a table reads back as a table", function()
  local r = data.request(messi)
  eq(r.case_id, 7); eq(r.prompt, "{} plays the sport of"); eq(r.subject, "Lionel Messi")
  eq(r.filled_prompt, "Lionel Messi plays the sport of")
  eq(r.target_new, "tennis"); eq(r.target_true, "football"); eq(r.target_true_id, "Q2736"); eq(r.target_new_id, nil)
  eq(r.relation_id, "P641")
  eq(#r.paraphrase_prompts, 1); eq(#r.neighborhood_prompts, 2)
  eq(r.neighborhood_prompts[1], "Neymar plays the sport of")
  eq(r.neighborhood_prompts[2].target, "football")
  eq(#r.attribute_prompts, 0); eq(#r.generation_prompts, 0)
  local t = r:totable()
  eq(t.target_true.id, "Q2736"); eq(t.subject, "Lionel Messi")
  check(data.request(t) == r, "totable round-trips")
  check(data.request(t) ~= data.request{ prompt = "{} is", subject = "x", target_new = "a", target_true = "b" })
  check(tostring(r):find("Lionel Messi plays the sport of [football -> tennis]", 1, true), tostring(r))
  local minimal = data.request{ prompt = "{} is", subject = "x", target_new = "a", target_true = "b" }
  eq(minimal.case_id, 0); eq(minimal.relation_id, nil)
end)

test("bad request tables", function()
  raises("bad argument #1 to 'data.request' (table expected, got string)", function() return data.request("x") end)
  raises("request: field 'prompt' is missing", function() return data.request{ subject = "x" } end)
  raises("request: unknown field 'promt'", function() return data.request{ promt = "{}" } end)
  raises("request: field 'case_id' must be an integer, got number", function()
    return data.request{ prompt = "{} is", subject = "x", target_new = "a", target_true = "b", case_id = 1.5 }
  end)
  raises("paraphrase_prompts[2] is a number, not a string", function()
    return data.request{ prompt = "{} is", subject = "x", target_new = "a", target_true = "b", paraphrase_prompts = { "a", 2 } }
  end)
  raises("neighborhood_prompts[1] must be a string or {prompt=, target=}", function()
    return data.request{ prompt = "{} is", subject = "x", target_new = "a", target_true = "b", neighborhood_prompts = { { 1 } } }
  end)
  raises("request: a request table has named fields only", function() return data.request{ "x" } end)
  raises("'data.request' takes at most 1 argument, got 2", function() return data.request({}, {}) end)
end)

test("a Requests list: #, indexing, ipairs, slice, totable", function()
  local list = data.requests{ messi, data.request{ prompt = "{} is", subject = "x", target_new = "a", target_true = "b" } }
  eq(#list, 2); eq(list[1].subject, "Lionel Messi"); eq(list[2].subject, "x")
  eq(list[0], nil); eq(list[3], nil); eq(list[-1], nil)
  local n = 0
  for i, r in ipairs(list) do n = n + 1; eq(r, list[i]) end
  eq(n, 2)
  eq(#list:slice(2), 1); eq(list:slice(2)[1].subject, "x"); eq(#list:slice(1, -1), 2); eq(#list:slice(3, 9), 0)
  eq(#list:totable(), 2); eq(type(list:totable()), "table")
  eq(list.source, "data.requests"); eq(#list.skipped, 0)
  check(tostring(list):find("Requests (2 from data.requests)", 1, true))
  eq(#data.requests(list), 2, "a copy of a list"); eq(#data.requests(list[1]), 1)
  raises("bad argument #1 to 'data.requests' (Request, Requests or table of requests expected, got number)", function() return data.requests(3) end)
  raises("cannot assign 'source' of a Requests", function() list.source = "x" end)
end)

test("built-in facts and the seeded sampler", function()
  local facts = data.facts()
  check(#facts >= 100, "at least 100 built-in facts, got " .. #facts)
  eq(facts.source, "built-in facts")
  local r = facts[1]
  eq(select(2, r.prompt:gsub("{}", "")), 1, "one placeholder")
  check(#r.neighborhood_prompts >= 3)
  local a, b = facts:sample{ n = 20, seed = 3 }, facts:sample{ n = 20, seed = 3 }
  eq(#a, 20)
  local seen = {}
  for i = 1, #a do
    eq(a[i], b[i], "the same seed gives the same sample")
    check(not seen[a[i].subject], "unique subjects"); seen[a[i].subject] = true
  end
  local c = facts:sample{ n = 20, seed = 4 }
  local same = 0
  for i = 1, 20 do if c[i] == a[i] then same = same + 1 end end
  check(same < 20, "another seed, another sample")
  local all = facts:sample()
  local subjects = {}
  for _, x in ipairs(facts) do subjects[x.subject] = true end
  local ns = 0; for _ in pairs(subjects) do ns = ns + 1 end
  eq(#all, ns, "one request per subject")
  eq(#facts:sample{ unique_subjects = false }, #facts)
  raises("asked for 100000 requests but only", function() return facts:sample{ n = 100000 } end)
  raises("sample size must be non-negative", function() return facts:sample{ n = -1 } end)
  raises("unknown option 'size'", function() return facts:sample{ size = 3 } end)
end)

test("probe prompts", function()
  local p = data.probe_prompts()
  eq(#p, 287); eq(type(p[1]), "string")
  eq(#data.probe_prompts(5), 5); eq(data.probe_prompts(5)[5], p[5])
  raises("probe prompt count must be non-negative", function() return data.probe_prompts(-1) end)
end)

test("CounterFact files, with and without malformed records", function()
  local rec = [[{"case_id": 3, "requested_rewrite": {"prompt": "The mother tongue of {} is", "relation_id": "P103",
    "subject": "Danielle Darrieux", "target_new": {"str": "English", "id": "Q1860"}, "target_true": {"str": "French", "id": "Q150"}},
    "paraphrase_prompts": ["Danielle Darrieux speaks"], "neighborhood_prompts": ["Michel Rocard speaks"],
    "attribute_prompts": ["J.R.R. Tolkien speaks"], "generation_prompts": ["Danielle Darrieux's mother tongue is"]}]]
  local path = write("editlab_cf.json", "[" .. rec .. ", {\"case_id\": 4}]")
  raises("record 1 (case_id 4): field 'requested_rewrite'", function() return data.counterfact(path) end)
  local cf = data.counterfact(path, { skip_malformed = true })
  eq(#cf, 1); eq(#cf.skipped, 1)
  local r = cf[1]
  eq(r.case_id, 3); eq(r.relation_id, "P103"); eq(r.target_new_id, "Q1860"); eq(r.target_true, "French")
  eq(r.attribute_prompts[1], "J.R.R. Tolkien speaks"); eq(r.generation_prompts[1], "Danielle Darrieux's mother tongue is")
  eq(#data.counterfact(path, { skip_malformed = true, limit = 0 }), 0)
  eq(data.load(path, { skip_malformed = true })[1], r, "format detected")
  -- JSONL round trip (what r:save writes)
  local jl = TMPDIR .. "/editlab_requests.jsonl"
  data.facts():slice(1, 5):save(jl)
  local back = data.jsonl(jl)
  eq(#back, 5)
  for i = 1, 5 do eq(back[i], data.facts()[i]) end
  eq(data.load(jl)[5], data.facts()[5])
  os.remove(jl); os.remove(path)
  raises("cannot read", function() return data.counterfact(TMPDIR .. "/no_such_editlab_file.json") end)
  raises("option 'limit' must be non-negative", function() return data.counterfact(path, { limit = -1 }) end)
  raises("option 'format': unknown format 'csv'", function() return data.load(path, { format = "csv" }) end)
end)

test("EasyEdit files", function()
  local path = write("editlab_easyedit.json", [[[{"case_id": 0, "prompt": "The mother tongue of Danielle Darrieux is",
    "subject": "Danielle Darrieux", "target_new": "English", "ground_truth": "French",
    "rephrase_prompt": "Danielle Darrieux speaks", "locality_prompt": ["Michel Rocard speaks"], "locality_ground_truth": ["French"]}] ]])
  local r = data.easyedit(path)[1]
  eq(r.prompt, "The mother tongue of {} is"); eq(r.target_true, "French")
  eq(r.paraphrase_prompts[1], "Danielle Darrieux speaks")
  eq(r.neighborhood_prompts[1].prompt, "Michel Rocard speaks"); eq(r.neighborhood_prompts[1].target, "French")
  eq(data.load(path)[1], r)
  os.remove(path)
end)

test("zsRE files and corpora need the model's tokenizer", function()
  local m = model.load(FIXTURES .. "/editors")
  local path = write("editlab_zsre.json", [[[{"subject": "Watts Humphrey", "src": "What university did Watts Humphrey attend?",
    "pred": "", "rephrase": "What university did Watts Humphrey go to?", "alt": "University of Michigan",
    "answers": ["Illinois Institute of Technology"], "loc": "nq question: who played desmond doss father in hacksaw ridge",
    "loc_ans": "Hugo Weaving", "cond": ""}] ]])
  local z = data.zsre(path, m)
  eq(#z, 1)
  local r = z[1]
  eq(r.prompt, "What university did {} attend?"); eq(r.target_new, "Illinois Institute of Technology")
  eq(r.target_true, "<|endoftext|>")
  check(#r.neighborhood_prompts >= 2, "one neighbourhood prompt per answer token")
  eq(r.neighborhood_prompts[1].prompt, "nq question: who played desmond doss father in hacksaw ridge?")
  eq(data.load(path, { model = m })[1], r)
  raises("zsRE loading needs the model's tokenizer", function() return data.load(path) end)
  raises("bad argument #2 to 'data.zsre' (Model expected, got no value)", function() return data.zsre(path) end)
  os.remove(path)
  -- a corpus packed from texts
  local c = data.corpus(m, { "The quick brown fox jumps over the lazy dog.", "A river flows through the old town." }, { document_tokens = 4 })
  check(#c >= 3); eq(#c[1], 4); eq(c.document_tokens, 4); eq(c.texts, 2)
  eq(c.tokens, 4 * #c)
  eq(c[#c + 1], nil)
  eq(math.type(c[1][1]), "integer")
  local train, held = c:split{ held_out = 0.25, seed = 1 }
  eq(#train + #held, #c); check(#held >= 1)
  check(tostring(c):find("documents of 4 tokens", 1, true))
  raises("option 'document_tokens' must be positive", function() return data.corpus(m, { "x" }, { document_tokens = 0 }) end)
  raises("texts 2 is a number, not a string", function() return data.corpus(m, { "x", 3 }) end)
  raises("bad argument #2 to 'data.corpus' (\"wordnet\", a path or a table of strings expected, got number)", function() return data.corpus(m, 3) end)
end)
