import Foundation
import Testing
import Tensors
import LanguageModels
@testable import Measurements

/// Paths of the shared test fixtures.
enum Fixtures {
    static let root: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path
    static func path(_ rel: String) -> String { root + "/" + rel }
}

/// The real default model, loaded once for the real-model tests (which run serially and put
/// back every weight they change).
enum DefaultModel {
    nonisolated(unsafe) private static var model: LanguageModel?
    private static let lock = NSLock()

    static func shared() throws -> LanguageModel {
        lock.lock()
        defer { lock.unlock() }
        if let model { return model }
        let m = try LanguageModel.load("smollm2")
        model = m
        return m
    }
}

/// The tiny Llama fixture (2 layers, d_model 64, d_mlp 160, no tokenizer), a fresh instance
/// per call so tests may change it freely.
func tinyLlama() throws -> LanguageModel {
    try LanguageModel.load(Fixtures.path("tiny-llama"))
}

/// A random matrix with orthonormal columns `[d, k]` (from the SVD of a Gaussian matrix).
func randomOrthonormal(_ d: Int, _ k: Int, seed: UInt64) throws -> Tensor {
    var g = RandomGenerator(seed: seed)
    return try Tensor.randn([d, k], dtype: .float64, generator: &g).svd().u
}

func close(_ a: Double, _ b: Double, _ tol: Double) -> Bool { Swift.abs(a - b) <= tol }

func relClose(_ a: Double, _ b: Double, _ rtol: Double) -> Bool { Swift.abs(a - b) <= rtol * Swift.max(Swift.abs(a), Swift.abs(b)) }
