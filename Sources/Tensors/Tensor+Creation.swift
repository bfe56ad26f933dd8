extension Tensor {
    /// A tensor of zeros.
    public static func zeros(_ shape: [Int], dtype: DType = .float32) -> Tensor { Tensor(zeros: shape, dtype: dtype) }

    /// A tensor of ones.
    public static func ones(_ shape: [Int], dtype: DType = .float32) -> Tensor { full(shape, 1, dtype: dtype) }

    /// A tensor with every element equal to `value`.
    public static func full(_ shape: [Int], _ value: Double, dtype: DType = .float32) -> Tensor {
        let t = uninitialized(shape, dtype: dtype)
        switch dtype {
        case .float32: t.pointer(as: Float.self).update(repeating: Float(value), count: t.count)
        case .float64: t.pointer(as: Double.self).update(repeating: value, count: t.count)
        }
        return t
    }

    /// A one-element, zero-dimensional tensor.
    public static func scalar(_ value: Double, dtype: DType = .float32) -> Tensor { full([], value, dtype: dtype) }

    /// The identity matrix of size `n`.
    public static func eye(_ n: Int, dtype: DType = .float32) -> Tensor {
        let t = zeros([n, n], dtype: dtype)
        for i in 0..<n {
            switch dtype {
            case .float32: t.pointer(as: Float.self)[i * n + i] = 1
            case .float64: t.pointer(as: Double.self)[i * n + i] = 1
            }
        }
        return t
    }

    /// `[start, start + step, ...]` up to but excluding `end` (torch.arange).
    public static func arange(_ start: Double, _ end: Double, step: Double = 1, dtype: DType = .float32) throws -> Tensor {
        guard step != 0, step.isFinite, start.isFinite, end.isFinite else {
            throw TensorError.invalidArgument(op: "arange", detail: "start, end and a non-zero step must be finite")
        }
        // Bound the count before converting it: Int(_:) traps on huge or infinite values.
        let steps = ((end - start) / step).rounded(.up)
        guard steps < Double(Int32.max) else {
            throw TensorError.invalidArgument(op: "arange", detail: "\(steps) elements is too many (at most \(Int32.max - 1))")
        }
        let n = steps > 0 ? Int(steps) : 0
        return try Tensor(shape: [n], values: (0..<n).map { start + Double($0) * step }, dtype: dtype)
    }

    /// A tensor of the given shape filled from `values` in row-major order.
    public init(shape: [Int], values: [Double], dtype: DType = .float64) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidArgument(op: "Tensor(shape:values:)", detail: "negative size in \(shape)")
        }
        let n = try checkedCount(shape, op: "Tensor(shape:values:)")
        guard n == values.count else {
            throw TensorError.shapeMismatch(op: "Tensor(shape:values:)", detail: "shape \(shapeString(shape)) needs \(n) values, got \(values.count)")
        }
        self = Tensor.uninitialized(shape, dtype: dtype)
        switch dtype {
        case .float32:
            let p = pointer(as: Float.self)
            for i in 0..<n { p[i] = Float(values[i]) }
        case .float64:
            _ = UnsafeMutableBufferPointer(start: pointer(as: Double.self), count: n).initialize(from: values)
        }
    }

    /// A float32 tensor of the given shape filled from `values` in row-major order.
    public init(shape: [Int], floats values: [Float]) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidArgument(op: "Tensor(shape:floats:)", detail: "negative size in \(shape)")
        }
        let n = try checkedCount(shape, op: "Tensor(shape:floats:)")
        guard n == values.count else {
            throw TensorError.shapeMismatch(op: "Tensor(shape:floats:)", detail: "shape \(shapeString(shape)) needs \(n) values, got \(values.count)")
        }
        self = Tensor.uninitialized(shape, dtype: .float32)
        _ = UnsafeMutableBufferPointer(start: pointer(as: Float.self), count: n).initialize(from: values)
    }

    /// A new contiguous tensor whose elements are written by `fill` (given a typed buffer of
    /// `count` elements). Used by file readers to decode straight into tensor memory.
    public static func build<T: TensorScalar>(_ shape: [Int], as _: T.Type,
                                              _ fill: (UnsafeMutableBufferPointer<T>) throws -> Void) rethrows -> Tensor {
        let t = uninitialized(shape, dtype: T.dtype)
        try fill(UnsafeMutableBufferPointer(start: t.pointer(as: T.self), count: t.count))
        return t
    }

    /// Standard-normal samples scaled by `std` and shifted by `mean` (see `RandomGenerator`).
    public static func randn(_ shape: [Int], mean: Double = 0, std: Double = 1, dtype: DType = .float32,
                             generator: inout RandomGenerator) -> Tensor {
        let t = uninitialized(shape, dtype: dtype)
        let n = t.count
        switch dtype {
        case .float32:
            let p = t.pointer(as: Float.self)
            for i in 0..<n { p[i] = Float(mean + std * generator.nextNormal()) }
        case .float64:
            let p = t.pointer(as: Double.self)
            for i in 0..<n { p[i] = mean + std * generator.nextNormal() }
        }
        return t
    }

    /// Uniform samples in [low, high) (see `RandomGenerator`).
    public static func rand(_ shape: [Int], low: Double = 0, high: Double = 1, dtype: DType = .float32,
                            generator: inout RandomGenerator) -> Tensor {
        let t = uninitialized(shape, dtype: dtype)
        let n = t.count
        switch dtype {
        case .float32:
            let p = t.pointer(as: Float.self)
            for i in 0..<n { p[i] = Float(low + (high - low) * generator.nextDouble()) }
        case .float64:
            let p = t.pointer(as: Double.self)
            for i in 0..<n { p[i] = low + (high - low) * generator.nextDouble() }
        }
        return t
    }
}
