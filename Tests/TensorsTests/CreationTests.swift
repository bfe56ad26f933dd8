import Foundation
import Testing
import Tensors

/// Constructors, conversions, element access and the torch7-style description.
@Suite struct CreationTests {
    @Test("zeros, ones, full, scalar and eye", arguments: DType.allCases)
    func constants(dtype: DType) throws {
        let z = Tensor.zeros([2, 3], dtype: dtype)
        #expect(z.shape == [2, 3] && z.strides == [3, 1] && z.dtype == dtype && z.count == 6 && z.rank == 2)
        #expect(z.doubles() == [0, 0, 0, 0, 0, 0])
        #expect(Tensor(zeros: [4], dtype: dtype).doubles() == [0, 0, 0, 0])
        #expect(Tensor.ones([3, 1, 2], dtype: dtype).doubles() == [Double](repeating: 1, count: 6))
        #expect(Tensor.full([2, 2], -2.5, dtype: dtype).doubles() == [-2.5, -2.5, -2.5, -2.5])
        #expect(Tensor.full([0, 5], 1, dtype: dtype).count == 0)
        let s = Tensor.scalar(7, dtype: dtype)
        #expect(s.shape == [] && s.rank == 0 && s.count == 1)
        #expect(try s.item() == 7)
        for n in [0, 1, 4] {
            let e = Tensor.eye(n, dtype: dtype)
            #expect(e.shape == [n, n])
            #expect(try ref(e).data == refEye(n).data)
        }
        #expect(Tensor.zeros([2, 3]).dtype == .float32, "float32 is the default for constructors")
    }

    @Test("arange: positive, fractional and negative steps; empty ranges; a zero or non-finite step throws")
    func arange() throws {
        #expect(try Tensor.arange(0, 5).doubles() == [0, 1, 2, 3, 4])
        #expect(try Tensor.arange(1, 2, step: 0.25, dtype: .float64).doubles() == [1, 1.25, 1.5, 1.75])
        #expect(try Tensor.arange(5, 0, step: -1).doubles() == [5, 4, 3, 2, 1])
        expectClose(try Tensor.arange(0, -1, step: -0.3, dtype: .float64).doubles(), [0, -0.3, -0.6, -0.9], rtol: 1e-15, atol: 1e-15,
                    "negative fractional step")
        #expect(try Tensor.arange(-2, 3, step: 2).doubles() == [-2, 0, 2])
        #expect(try Tensor.arange(0, 0).shape == [0])
        #expect(try Tensor.arange(0, 5, step: -1).shape == [0])
        #expect(try Tensor.arange(3, 1).shape == [0])
        #expect(try Tensor.arange(0, 1, step: 3).doubles() == [0])
        #expect(try Tensor.arange(0, 3).dtype == .float32)
        #expect(try Tensor.arange(0, 3, dtype: .float64).dtype == .float64)
        expectError(.invalidArgument, "zero step") { try Tensor.arange(0, 5, step: 0) }
        expectError(.invalidArgument, "NaN step") { try Tensor.arange(0, 5, step: .nan) }
        expectError(.invalidArgument, "infinite end") { try Tensor.arange(0, .infinity) }
        expectError(.invalidArgument, "NaN start") { try Tensor.arange(.nan, 1) }
        expectError(.invalidArgument, "more elements than can be allocated") { try Tensor.arange(0, 1e30) }
        expectError(.invalidArgument, "a count that overflows to infinity") { try Tensor.arange(-1e308, 1e308) }
        #expect(try Tensor.arange(0, -1e30).shape == [0], "a hugely negative count is just empty")
    }

    @Test("Tensor(shape:values:) and Tensor(shape:floats:) check their counts")
    func fromValues() throws {
        let t = try Tensor(shape: [2, 2], values: [1, 2, 3, 4])
        #expect(t.dtype == .float64)
        #expect(try t.value(at: [1, 0]) == 3)
        let f = try Tensor(shape: [3], floats: [0.5, -1, 2])
        #expect(f.dtype == .float32 && f.floats() == [0.5, -1, 2])
        expectError(.shapeMismatch) { try Tensor(shape: [2, 3], values: [1, 2, 3]) }
        expectError(.shapeMismatch) { try Tensor(shape: [], values: []) }
        expectError(.shapeMismatch) { try Tensor(shape: [2], floats: [1, 2, 3]) }
        expectError(.invalidArgument) { try Tensor(shape: [-1, 2], values: []) }
        expectError(.invalidArgument) { try Tensor(shape: [2, -2], floats: [1, 2, 3, 4]) }
        // an element count that overflows Int is an error, not a trap
        expectError(.invalidArgument) { try Tensor(shape: [Int.max, 2], values: [1]) }
        expectError(.invalidArgument) { try Tensor(shape: [1 << 32, 1 << 32], floats: []) }
        #expect(try Tensor(shape: [0, 3], values: []).shape == [0, 3])
        #expect(try Tensor(shape: [], values: [9], dtype: .float32).item() == 9)
        // build writes straight into the tensor's memory
        let b = Tensor.build([2, 2], as: Double.self) { buf in for i in 0..<buf.count { buf[i] = Double(i * i) } }
        #expect(b.dtype == .float64 && b.doubles() == [0, 1, 4, 9])
    }

    @Test("to(_:) converts (rounding to float32), and returns self for the same dtype")
    func conversion() throws {
        let d = try Tensor(shape: [3], values: [0.1, 1e-50, 1e300], dtype: .float64)
        let f = d.to(.float32)
        #expect(f.dtype == .float32 && !f.sharesStorage(with: d))
        #expect(f.floats() == [Float(0.1), 0, .infinity])
        let back = f.to(.float64)
        #expect(back.dtype == .float64 && back.doubles() == [Double(Float(0.1)), 0, .infinity])
        #expect(d.to(.float64).sharesStorage(with: d))
        // a non-contiguous view converts in its logical order
        let m = try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6], dtype: .float32)
        #expect(try m.t().to(.float64).doubles() == [1, 4, 2, 5, 3, 6])
        #expect(try m.t().to(.float64).shape == [3, 2])
        #expect(try m.t().toArray(Double.self) == [1, 4, 2, 5, 3, 6])
        #expect(try m.t().floats() == [1, 4, 2, 5, 3, 6])
    }

    @Test("item() and value(at:) with negative indices", arguments: DType.allCases)
    func elementAccess(dtype: DType) throws {
        let t = try Tensor(shape: [2, 3, 4], values: (0..<24).map(Double.init), dtype: dtype)
        #expect(try t.value(at: [-1, -1, -1]) == 23)
        #expect(try t.value(at: [-2, 1, -4]) == 4)
        #expect(try t.value(at: [1, -3, 2]) == 14)
        try t.setValue(-1, at: [-1, 0, -2])
        #expect(try t.value(at: [1, 0, 2]) == -1)
        expectError(.invalidArgument, "too few indices") { try t.value(at: [0, 0]) }
        expectError(.invalidArgument, "too many indices") { try t.setValue(0, at: [0, 0, 0, 0]) }
        expectError(.outOfRange) { try t.value(at: [-3, 0, 0]) }
        #expect(try Tensor.full([1, 1, 1], 4.5, dtype: dtype).item() == 4.5)
        #expect(try t.select(0, 1).select(0, 2).select(0, 3).item() == 23)
        expectError(.invalidArgument, "item of 24 elements") { try t.item() }
        expectError(.invalidArgument, "item of an empty tensor") { try Tensor.zeros([0], dtype: dtype).item() }
        #expect(try Tensor.scalar(2, dtype: dtype).value(at: []) == 2)
    }

    @Test("description: values then a torch7-style footer")
    func description() throws {
        let m = try Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6], dtype: .float32)
        #expect(m.summary == "[Tensor f32 2x3]")
        #expect(m.description == "1  2  3\n4  5  6\n[Tensor f32 2x3]")
        #expect(try m.t().description == "1  4\n2  5\n3  6\n[Tensor f32 3x2]")
        let d = try Tensor(shape: [3], values: [0.5, -1.25, 1e-6], dtype: .float64)
        #expect(d.description == "0.5000  -1.2500  1.0000e-06\n[Tensor f64 3]")
        #expect(Tensor.scalar(3).description == "3\n[Tensor f32 scalar]")
        #expect(Tensor.zeros([0, 4]).description == "[]\n[Tensor f32 0x4]")
        let special = try Tensor(shape: [3], values: [.nan, .infinity, -.infinity], dtype: .float64)
        #expect(special.description == "nan  inf  -inf\n[Tensor f64 3]")
        // three dimensions: one (i,.,.) block per matrix, 1-based as in torch7
        let c = try Tensor(shape: [2, 1, 2], values: [1, 2, 3, 4], dtype: .float32)
        #expect(c.description == "(1,.,.) = \n1  2\n\n(2,.,.) = \n3  4\n\n[Tensor f32 2x1x2]")
        #expect("\(m)".hasSuffix("[Tensor f32 2x3]"))
    }

    @Test("description elides long dimensions with ... once a tensor is large")
    func descriptionElision() throws {
        let v = try Tensor.arange(0, 2000)
        #expect(v.description == "0  1  2  ...  1997  1998  1999\n[Tensor f32 2000]")
        let m = try Tensor.arange(0, 40 * 50, dtype: .float64).view([40, 50])
        let lines = m.description.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 3 + 1 + 3 + 1)
        #expect(lines[0] == "0  1  2  ...  47  48  49")
        #expect(lines[3] == "...")
        #expect(lines[6] == "1950  1951  1952  ...  1997  1998  1999")
        #expect(lines.last == "[Tensor f64 40x50]")
        // the boundary: a dimension longer than 2·edgeItems is elided, one of 2·edgeItems is not
        #expect(try Tensor.arange(0, 7).formatted(edgeItems: 3, threshold: 0) == "0  1  2  ...  4  5  6\n[Tensor f32 7]")
        #expect(try Tensor.arange(0, 6).formatted(edgeItems: 3, threshold: 0) == "0  1  2  3  4  5\n[Tensor f32 6]")
        #expect(try Tensor.arange(0, 7).formatted(edgeItems: 3, threshold: 7) == "0  1  2  3  4  5  6\n[Tensor f32 7]")
        // small tensors are printed in full
        let small = Tensor.zeros([10, 10])
        #expect(!small.description.contains("..."))
        #expect(small.description.split(separator: "\n").count == 11)
        // a 4-D tensor: elided leading blocks collapse to a single ...
        let big = Tensor.zeros([10, 2, 10, 10])
        let text = big.formatted(edgeItems: 2, threshold: 100)
        #expect(text.contains("(1,1,.,.) = "))
        #expect(text.contains("(10,2,.,.) = "))
        #expect(!text.contains("(3,1,.,.) = "))
        #expect(text.hasSuffix("[Tensor f32 10x2x10x10]"))
        #expect(!text.contains("...\n..."))
    }
}
