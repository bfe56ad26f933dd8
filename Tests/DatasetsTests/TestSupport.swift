import Foundation
import Testing
import Tensors
import LanguageModels
import Datasets

/// Paths of the shared test fixtures.
enum Fixtures {
    static let root: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path
    static func path(_ rel: String) -> String { root + "/" + rel }
}

/// The real default model, loaded once for the real-model tests (which run serially).
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

/// A byte-level tokenizer with only the 256 byte tokens (no merges): every UTF-8 byte is one
/// token, so token sequences can be checked by hand.
enum ByteTokenizer {
    static func make() throws -> Tokenizer {
        let tokens = (0..<256).map { ByteLevelAlphabet.encode([UInt8($0)]) }
        return try Tokenizer(tokens: tokens, merges: [], preTokenizer: .gpt2)
    }
}

/// A five-token "language model" whose next-token distribution depends only on the token
/// read: row i of `p` is P(next | current = i). Scores under it can be computed by hand.
enum MarkovStub {
    static let p: [[Double]] = [
        [0.4, 0.3, 0.1, 0.1, 0.1],
        [0.1, 0.5, 0.2, 0.1, 0.1],
        [0.2, 0.2, 0.2, 0.2, 0.2],
        [0.05, 0.05, 0.6, 0.2, 0.1],
        [0.25, 0.25, 0.1, 0.1, 0.3],
    ]

    /// Logits = ln P[token at the column].
    static func logits(_ batch: TokenBatch, _ columns: [Int]) throws -> Tensor {
        var v: [Float] = []
        for c in columns { v += p[batch.ids[c]].map { Float(Foundation.log($0)) } }
        return try Tensor(shape: [columns.count, 5], floats: v)
    }

    /// "abcde" → 0...4, other characters (spaces) dropped.
    static func encode(_ s: String) -> [Int] {
        s.compactMap { ch in "abcde".firstIndex(of: ch).map { "abcde".distance(from: "abcde".startIndex, to: $0) } }
    }

    static func decode(_ ids: [Int]) -> String {
        String(ids.map { Array("abcde")[$0] })
    }
}

/// The `DatasetError` thrown by `body`, or nil.
func datasetError(_ body: () throws -> Void) -> DatasetError? {
    do {
        try body()
        return nil
    } catch let e as DatasetError {
        return e
    } catch {
        Issue.record("expected a DatasetError, got \(error)")
        return nil
    }
}

func close(_ a: Double?, _ b: Double, _ tol: Double = 1e-5) -> Bool {
    guard let a else { return false }
    return abs(a - b) <= tol
}

func tempFile(_ name: String, _ contents: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("editlab-datasets-tests-\(ProcessInfo.processInfo.processIdentifier)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let p = dir.appendingPathComponent(name).path
    try contents.write(toFile: p, atomically: true, encoding: .utf8)
    return p
}
