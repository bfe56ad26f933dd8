import Datasets
import LanguageModels
import Tensors

extension CovarianceStatistics {
    /// Statistics as the hyper-parameters ask for them: `mom2_dataset` (`wordnet`: WordNet
    /// glosses from Debian's wordnet-base, or a path to a text/JSONL file) packed into documents
    /// of at least 512 tokens (EDITING.md §11), the first `mom2_n_samples` documents, stored
    /// as `mom2_dtype`, cached under `${EDITLAB_HOME}/stats`.
    public static func forModel(_ model: LanguageModel, hparams: EditHyperparameters,
                                cacheDirectory: String? = CovarianceStatistics.defaultCacheDirectory) throws -> CovarianceStatistics {
        let tok = try model.requireTokenizer()
        let source: CorpusSource
        switch hparams.mom2Dataset {
        case "wordnet": source = .wordNetDefault
        case let path where path.hasSuffix(".jsonl"): source = .jsonlFile(path, field: "text")
        case let path: source = .textFile(path)
        }
        let maxTokens = hparams.mom2NSamples.multipliedReportingOverflow(by: 512)
        let packed = try Corpus.load(source, tokenizer: tok,
                                     options: PackingOptions(documentTokens: 512, maximumTokens: maxTokens.overflow ? nil : maxTokens.partialValue + 512))
        return CovarianceStatistics(corpusName: hparams.mom2Dataset, documents: packed.documents, sampleCount: hparams.mom2NSamples,
                                    dtype: hparams.mom2Dtype == "float64" ? .float64 : .float32, cacheDirectory: cacheDirectory)
    }
}
