import Foundation
import Tensors

/// Forward + backward of a two-block Llama-shaped stack at the default model's sizes, with
/// the gradient taken only for one vector added at the first block's MLP output (the v*
/// optimisation's situation), as a ratio to the no-record forward measured in the same run.
struct AutogradBench {
    let repeats: Int

    struct Block {
        let ln1, q, k, v, o, ln2, gate, up, down: Tensor
    }

    let batch = 8, seq = 64, dModel = 576, heads = 9, kvHeads = 3, dMLP = 1536

    func makeBlocks(_ gen: inout RandomGenerator) -> [Block] {
        let hd = dModel / heads
        return (0..<2).map { _ in
            Block(ln1: Tensor.ones([dModel]),
                  q: Tensor.randn([dModel, dModel], std: 0.02, generator: &gen),
                  k: Tensor.randn([kvHeads * hd, dModel], std: 0.02, generator: &gen),
                  v: Tensor.randn([kvHeads * hd, dModel], std: 0.02, generator: &gen),
                  o: Tensor.randn([dModel, dModel], std: 0.02, generator: &gen),
                  ln2: Tensor.ones([dModel]),
                  gate: Tensor.randn([dMLP, dModel], std: 0.02, generator: &gen),
                  up: Tensor.randn([dMLP, dModel], std: 0.02, generator: &gen),
                  down: Tensor.randn([dModel, dMLP], std: 0.02, generator: &gen))
        }
    }

    func forward(_ x: Tensor, _ blocks: [Block], delta: Tensor?, row: Int) throws -> Tensor {
        let hd = dModel / heads
        let positions = (0..<batch).flatMap { _ in Array(0..<seq) }
        var h = x
        for (i, b) in blocks.enumerated() {
            let z = try F.rmsNorm(h, weight: b.ln1, eps: 1e-5)
            let q = try F.rope(F.reshape(F.linear(z, b.q), [batch, seq, heads, hd]), positions: positions, theta: 10000)
            let k = try F.rope(F.reshape(F.linear(z, b.k), [batch, seq, kvHeads, hd]), positions: positions, theta: 10000)
            let v = try F.reshape(F.linear(z, b.v), [batch, seq, kvHeads, hd])
            let a = try F.attention(q: q, k: k, v: v)
            h = try F.add(h, F.linear(F.reshape(a, [batch, seq, dModel]), b.o))
            let z2 = try F.rmsNorm(h, weight: b.ln2, eps: 1e-5)
            var m = try F.linear(F.swiglu(gate: F.linear(z2, b.gate), up: F.linear(z2, b.up)), b.down)
            if i == 0, let delta {
                let flat = try F.reshape(m, [batch * seq, dModel])
                m = try F.reshape(F.indexAdd(flat, [row], F.reshape(delta, [1, dModel])), [batch, seq, dModel])
            }
            h = try F.add(h, m)
        }
        return h
    }

    /// FLOPs of one forward of the stack (matmuls only).
    var forwardFlops: Double {
        let tokens = Double(batch * seq), hd = Double(dModel / heads)
        let proj = 2 * tokens * Double(dModel) * Double(dModel + 2 * kvHeads * (dModel / heads) + dModel)
        let mlp = 2 * tokens * Double(dModel) * Double(3 * dMLP)
        let attn = 2 * 2 * Double(batch * heads) * Double(seq * seq) * hd
        return 2 * (proj + mlp + attn)
    }

    func run() throws {
        print("\n== autograd: forward+backward vs no-record forward (2 blocks, d 576, 9/3 heads, d_mlp 1536, batch 8x64) ==")
        var gen = RandomGenerator(seed: 3)
        let blocks = makeBlocks(&gen)
        let x = Tensor.randn([batch, seq, dModel], generator: &gen)
        let row = 3 * seq + 10
        let (fwd, fwdBwd) = try Timing.interleavedBest(minRepeats: repeats, {
            _ = try Autograd.noGrad { try forward(x, blocks, delta: nil, row: row) }
        }, {
            let delta = Tensor.zeros([dModel]).requiringGrad()
            let out = try forward(x, blocks, delta: delta, row: row)
            try F.backward(F.sumOfSquares(out))
        })
        print(String(format: "no-record forward      %8.2f ms  (%.1f GFLOP/s)", fwd * 1e3, forwardFlops / fwd / 1e9))
        print(String(format: "forward + backward     %8.2f ms", fwdBwd * 1e3))
        print(String(format: "ratio                  %8.3f     target <= 2.5", fwdBwd / fwd))
    }
}
