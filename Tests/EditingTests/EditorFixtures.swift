import Datasets
import Editing
import Foundation
import LanguageModels
import Tensors

/// The reference editor outputs in Tests/Fixtures/editors (see its README).
enum EditorFixtures {
    static let root: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/editors").path

    struct Inputs: Decodable {
        struct Target: Decodable { let str: String }
        struct Request: Decodable { let case_id: Int; let prompt: String; let subject: String; let target_new: Target; let target_true: Target }
        let requests: [Request]
        let rome_templates: [String]
        let memit_templates: [[String]]
    }

    static func inputs() throws -> Inputs {
        try JSONDecoder().decode(Inputs.self, from: Data(contentsOf: URL(fileURLWithPath: root + "/fixed_inputs.json")))
    }

    static func requests() throws -> [EditRequest] {
        try inputs().requests.map {
            EditRequest(caseID: $0.case_id, prompt: $0.prompt, subject: $0.subject,
                        targetNew: EditTarget($0.target_new.str), targetTrue: EditTarget($0.target_true.str))
        }
    }

    /// A fresh copy of the tiny editing model (each test edits its own).
    static func model() throws -> LanguageModel { try LanguageModel.load(root) }

    /// C0 per layer from c0.safetensors.
    static func covariance() throws -> FixedCovariance {
        let r = try SafetensorsReader(path: root + "/c0.safetensors")
        var m: [Int: Tensor] = [:]
        for l in 0..<4 { m[l] = try r.tensor(named: "C0.L\(l)") }
        return FixedCovariance(m)
    }

    /// Reference hyper-parameters of a method with the fixed templates and no prompt prefix.
    static func hparams(_ method: String) throws -> EditHyperparameters {
        var h = try EditHyperparameters.load(path: root + "/hparams_\(method).json", base: EditHyperparameters(), method: method)
        h.promptPrefix = .none
        let inp = try inputs()
        h.contextTemplates = method == "rome" ? inp.rome_templates.map { [$0] } : inp.memit_templates
        return h
    }

    static func tensor(_ file: String, _ name: String, as dtype: DType = .float64) throws -> Tensor {
        try SafetensorsReader(path: root + "/\(file).safetensors").tensor(named: name, as: dtype)
    }

    /// max |a − b| / max |b|.
    static func relativeError(_ a: Tensor, _ b: Tensor) throws -> Double {
        let scale = max(abs(b.to(.float64).max()), abs(b.to(.float64).min()), 1e-30)
        return try a.to(.float64).reshaped(b.shape).maxAbsDifference(b.to(.float64)) / scale
    }
}
