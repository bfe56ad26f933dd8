-- A first look at a language model: its tokens, a generated continuation, the next-token
-- distribution of a factual prompt, and the size of the residual stream at every block.
--
--   editlab run examples/01_first_look.lua [model] [prompt]
--
-- Conventions: token ids and layer numbers are 0-based (as in papers and TransformerLens);
-- tensor dimensions and positions are 1-based, negative ones count from the end.

local spec = arg[1]                                   -- nil: the default model (SmolLM2-135M)
local prompt = arg[2] or "The capital of France is"

local m = model.load(spec)
print(m)

-- Tokens
local ids = m:tokenize(prompt)
local pieces = {}
for i, id in ipairs(ids) do pieces[i] = string.format("%d %q", id, m:decode(id)) end
print(string.format("\n%d tokens: %s", #ids, table.concat(pieces, ", ")))

-- A greedy continuation
local text = m:generate(prompt, { max_tokens = 12 })
print("\ngenerate: " .. text)

-- What the model expects next
print(string.format("\nnext token after %q:", prompt))
for rank, e in ipairs(m:next_token_distribution(prompt, 5)) do
  print(string.format("  %d. %-12s p = %.3f", rank, string.format("%q", e.token), e.prob))
end

-- The residual stream after every block, at the prompt's last token
local _, cache = m:run_with_cache(prompt, { names = "blocks.*.hook_resid_post", logits = "none" })
local norms, largest = {}, 0
for layer = 0, m.config.n_layers - 1 do
  local h = cache["blocks." .. layer .. ".hook_resid_post"]  -- [batch, position, d_model]
  norms[layer] = h[1][-1]:norm()                             -- row 1, last position
  largest = math.max(largest, norms[layer])
end
print("\nresidual-stream norm at the last token, after each block:")
for layer = 0, m.config.n_layers - 1 do
  print(string.format("  block %2d %8.2f  %s", layer, norms[layer], string.rep("#", math.floor(40 * norms[layer] / largest + 0.5))))
end
