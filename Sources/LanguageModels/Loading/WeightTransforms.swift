import Tensors

/// The orientation fixes of ``WeightFix``, applied to float32 tensors as decoded from a file.
enum WeightTransforms {
    /// Undoes llama.cpp's RoPE permutation of a query/key weight (2-D) or bias (1-D):
    /// llama.cpp stores `w.reshape(heads, 2, rows/heads/2, cols).swapaxes(1, 2).reshape(rows, cols)`,
    /// i.e. file row `h*hd + 2r + t` is HF row `h*hd + t*hd/2 + r`.
    static func unpermuteRoPE(_ t: Tensor, heads: Int, name: String, file: String) throws -> Tensor {
        guard t.rank == 1 || t.rank == 2, heads > 0, t.shape[0] % (2 * heads) == 0 else {
            throw ModelLoadError.wrongShape(file: file, tensor: name, shape: t.shape,
                                            expected: "rows divisible into \(heads) heads of an even size")
        }
        let rows = t.shape[0]
        let cols = t.rank == 2 ? t.shape[1] : 1
        let headDim = rows / heads, half = headDim / 2
        let src = t.contiguous()
        return Tensor.build(t.shape, as: Float.self) { out in
            guard let dst = out.baseAddress else { return }
            let s = src.pointer(as: Float.self)
            for h in 0..<heads {
                for r in 0..<half {
                    for p in 0..<2 {
                        let from = h * headDim + 2 * r + p
                        let to = h * headDim + p * half + r
                        (dst + to * cols).update(from: s + from * cols, count: cols)
                    }
                }
            }
        }
    }

    /// The transpose of a 2-D tensor as a new contiguous tensor (1-D tensors are returned as is).
    static func transposed(_ t: Tensor) throws -> Tensor {
        t.rank == 2 ? try t.transposed(0, 1).clone() : t
    }

    /// Rows `part * n ..< (part + 1) * n` of `t` (`n = rows / parts`) as a new tensor with its own storage.
    static func rowBlock(_ t: Tensor, part: Int, of parts: Int, name: String, file: String) throws -> Tensor {
        guard t.rank >= 1, t.shape[0] % parts == 0 else {
            throw ModelLoadError.wrongShape(file: file, tensor: name, shape: t.shape, expected: "a first dimension divisible by \(parts)")
        }
        let n = t.shape[0] / parts
        return try t.narrow(0, start: part * n, length: n).clone()
    }
}
