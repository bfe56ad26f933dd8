import Foundation
import Testing
@testable import LanguageModels

/// HF config.json parsing (Llama/Mistral with both rope_theta placements, GPT-2) and the
/// configuration from GGUF metadata.
struct ConfigParsingTests {
    static func parse(_ json: String) throws -> ModelConfig {
        try ModelConfig.fromHuggingFace(json: Data(json.utf8), file: "config.json", name: "t")
    }

    static let llamaBase = """
    "architectures": ["LlamaForCausalLM"], "hidden_size": 576, "intermediate_size": 1536,
    "num_hidden_layers": 30, "num_attention_heads": 9, "num_key_value_heads": 3, "vocab_size": 49152,
    "max_position_embeddings": 8192, "rms_norm_eps": 1e-05, "tie_word_embeddings": true,
    "bos_token_id": 1, "eos_token_id": 2
    """

    @Test func tinyLlamaWithRopeParameters() throws {
        let c = try ModelConfig.fromHuggingFace(path: LoaderFixtures.path("tiny-llama/config.json"))
        #expect(c == ModelConfig(family: .llama, name: "tiny-llama", vocabSize: 320, dModel: 64, layerCount: 2, headCount: 4,
                                 kvHeadCount: 2, headDim: 16, mlpDim: 160, contextLength: 128, normEpsilon: 1e-5,
                                 ropeTheta: 10000, tiedEmbeddings: false, bosTokenId: 1, eosTokenId: 2))
    }

    @Test func ropeThetaAtTopLevel() throws {
        let c = try Self.parse("{\(Self.llamaBase), \"rope_theta\": 100000.0, \"rope_scaling\": null}")
        #expect(c.ropeTheta == 100000)
        #expect(c.headDim == 64 && c.kvHeadCount == 3 && c.tiedEmbeddings)
        let inside = try Self.parse("{\(Self.llamaBase), \"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 500000}}")
        #expect(inside.ropeTheta == 500000)
        let none = try Self.parse("{\(Self.llamaBase)}")
        #expect(none.ropeTheta == 10000)
    }

    @Test func optionalFieldsAndVariants() throws {
        let c = try Self.parse("{\(Self.llamaBase), \"head_dim\": 32, \"eos_token_id\": [2, 5]}")
        #expect(c.headDim == 32 && c.queryDim == 288 && c.kvDim == 96)
        #expect(c.eosTokenId == 2)
        let mistral = try Self.parse("{\(Self.llamaBase.replacingOccurrences(of: "LlamaForCausalLM", with: "MistralForCausalLM")), \"sliding_window\": null}")
        #expect(mistral.family == .llama)
        let byType = try Self.parse("{\(Self.llamaBase.replacingOccurrences(of: "\"architectures\": [\"LlamaForCausalLM\"],", with: "\"model_type\": \"llama\","))}")
        #expect(byType.family == .llama)
    }

    @Test func ropeScalingIsRejected() throws {
        #expect {
            try Self.parse("{\(Self.llamaBase), \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}}")
        } throws: { e in
            guard case ConfigError.unsupportedFeature(let f, let d) = e else { return false }
            return f == "config.json" && d.contains("rope_scaling") && "\(e)".contains("not supported yet")
        }
        #expect {
            try Self.parse("{\(Self.llamaBase), \"rope_parameters\": {\"rope_type\": \"llama3\", \"rope_theta\": 500000, \"factor\": 8}}")
        } throws: { e in
            guard case ConfigError.unsupportedFeature(_, let d) = e else { return false }
            return d.contains("llama3")
        }
        #expect(throws: ConfigError.self) { try Self.parse("{\(Self.llamaBase), \"sliding_window\": 4096}") }
    }

    @Test func gpt2() throws {
        let c = try ModelConfig.fromHuggingFace(path: LoaderFixtures.path("tiny-gpt2/config.json"))
        #expect(c.family == .gpt2 && c.name == "tiny-gpt2")
        #expect(c.dModel == 64 && c.headCount == 4 && c.kvHeadCount == 4 && c.headDim == 16)
        #expect(c.layerCount == 2 && c.contextLength == 64 && c.vocabSize == 320)
        #expect(c.mlpDim == 256)  // n_inner null → 4 * n_embd
        #expect(c.normEpsilon == 1e-5 && c.tiedEmbeddings && c.ropeTheta == 0)
        let gpt2 = """
        {"architectures": ["GPT2LMHeadModel"], "n_embd": 1600, "n_head": 25, "n_layer": 48, "n_positions": 1024,
         "n_inner": 6400, "vocab_size": 50257, "layer_norm_epsilon": 1e-05, "activation_function": "gelu_new",
         "bos_token_id": 50256, "eos_token_id": 50256}
        """
        let xl = try Self.parse(gpt2)
        #expect(xl.mlpDim == 6400 && xl.headDim == 64 && xl.eosTokenId == 50256)
        #expect {
            try Self.parse(gpt2.replacingOccurrences(of: "gelu_new", with: "relu"))
        } throws: { e in
            guard case ConfigError.unsupportedFeature(_, let d) = e else { return false }
            return d.contains("relu")
        }
    }

    @Test func badConfigsAreNamed() throws {
        #expect(throws: ConfigError.unsupportedArchitecture(file: "config.json", architecture: "Qwen2ForCausalLM")) {
            try Self.parse("{\"architectures\": [\"Qwen2ForCausalLM\"]}")
        }
        #expect(throws: ConfigError.missingKey(file: "config.json", key: "hidden_size")) {
            try Self.parse("{\"architectures\": [\"LlamaForCausalLM\"], \"num_attention_heads\": 4}")
        }
        #expect(throws: ConfigError.self) { try Self.parse("{\(Self.llamaBase.replacingOccurrences(of: "\"hidden_size\": 576", with: "\"hidden_size\": \"big\""))}") }
        #expect(throws: ConfigError.self) { try Self.parse("{\(Self.llamaBase.replacingOccurrences(of: "\"num_key_value_heads\": 3", with: "\"num_key_value_heads\": 4"))}") }
        #expect(throws: ConfigError.self) { try Self.parse("[1, 2]") }
        #expect(throws: ConfigError.self) { try Self.parse("{\"architectures\": ") }
    }

    @Test func fromGGUFMetadataMatchesHF() throws {
        let hf = try ModelConfig.fromHuggingFace(path: LoaderFixtures.path("tiny-llama/config.json"))
        for kind in ["f32", "q4_1"] {
            let r = try GGUFReader(path: LoaderFixtures.path("tiny-llama/tiny-llama-\(kind).gguf"))
            let g = try ModelConfig.fromGGUF(r.header)
            #expect(g.name == "tiny-llama")
            #expect(g == hf)  // norm epsilon stored as float32 1e-5 reads as 1e-05
        }
    }

    @Test func ggufUnknownArchitecture() throws {
        var b = TestGGUFBuilder()
        b.metadata = [("general.architecture", .string("mamba"))]
        let r = try GGUFReader(bytes: b.build(), label: "m.gguf")
        #expect(throws: ConfigError.unsupportedArchitecture(file: "m.gguf", architecture: "mamba")) { try ModelConfig.fromGGUF(r.header) }
        #expect("\(ConfigError.unsupportedArchitecture(file: "m.gguf", architecture: "mamba"))".contains("m.gguf"))
    }
}
