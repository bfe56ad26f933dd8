/// Which side short sequences are padded on.
public enum PaddingSide: String, Sendable {
    /// Pad at the end (the reference editing code's convention).
    case right
    /// Pad at the start (convenient for generation: every row ends at the last column).
    case left
}

/// A batch of token sequences of possibly different lengths, padded to one length, with the
/// attention mask and the position of every token (positions count real tokens only, so
/// they are right under both padding sides).
public struct TokenBatch: Sendable, Equatable {
    /// The sequences as given.
    public let sequences: [[Int]]
    /// Padded ids, row-major `[batchSize, length]`.
    public let ids: [Int]
    /// True where a token is real, false for padding (`[batchSize, length]`).
    public let mask: [Bool]
    /// Position of each token (0 for padding), row-major `[batchSize, length]`.
    public let positions: [Int]
    /// Padded length.
    public let length: Int
    /// The padding side.
    public let padding: PaddingSide
    /// Lengths of the sequences packed one after another into the single row of a packed
    /// batch (`TokenBatch(packing:)`), nil for a padded batch.
    public let segmentLengths: [Int]?
    /// Column where each packed sequence starts (nil for a padded batch).
    private let segmentStarts: [Int]?

    /// Number of sequences.
    public var batchSize: Int { sequences.count }

    /// Pads `sequences` with `padID` on `padding`'s side, to the longest sequence or to
    /// `length` when given (which must be at least the longest).
    public init(_ sequences: [[Int]], padding: PaddingSide = .right, padID: Int = 0, length: Int? = nil) throws {
        guard !sequences.isEmpty else { throw ModelError.emptyInput("no sequences") }
        guard sequences.allSatisfy({ !$0.isEmpty }) else { throw ModelError.emptyInput("a sequence has no tokens") }
        let longest = sequences.map(\.count).max() ?? 0
        if let length, length < longest {
            throw ModelError.invalidOption("padded length \(length) is shorter than the longest sequence (\(longest))")
        }
        let len = length ?? longest
        var ids: [Int] = [], mask: [Bool] = [], pos: [Int] = []
        ids.reserveCapacity(len * sequences.count)
        for s in sequences {
            let pad = len - s.count
            if padding == .left {
                ids += [Int](repeating: padID, count: pad) + s
                mask += [Bool](repeating: false, count: pad) + [Bool](repeating: true, count: s.count)
                pos += [Int](repeating: 0, count: pad) + Array(0..<s.count)
            } else {
                ids += s + [Int](repeating: padID, count: pad)
                mask += [Bool](repeating: true, count: s.count) + [Bool](repeating: false, count: pad)
                pos += Array(0..<s.count) + [Int](repeating: 0, count: pad)
            }
        }
        self.sequences = sequences
        self.ids = ids
        self.mask = mask
        self.positions = pos
        self.length = len
        self.padding = padding
        self.segmentLengths = nil
        self.segmentStarts = nil
    }

    /// Packs `sequences` one after another into a single row without padding: positions
    /// restart at each sequence and attention stays within it, so every token's activations
    /// are those it has in a padded batch, while the linear layers see one product over the
    /// real tokens only. Token `i` of sequence `k` is at column `start(ofSegment: k) + i`.
    public init(packing sequences: [[Int]]) throws {
        guard !sequences.isEmpty else { throw ModelError.emptyInput("no sequences") }
        guard sequences.allSatisfy({ !$0.isEmpty }) else { throw ModelError.emptyInput("a sequence has no tokens") }
        let ids = Array(sequences.joined())
        self.sequences = [ids]
        self.ids = ids
        self.mask = [Bool](repeating: true, count: ids.count)
        self.positions = sequences.flatMap { Array(0..<$0.count) }
        self.length = ids.count
        self.padding = .right
        self.segmentLengths = sequences.map(\.count)
        self.segmentStarts = sequences.dropLast().reduce(into: [0]) { $0.append($0[$0.count - 1] + $1.count) }
    }

    /// Column where packed sequence `segment` starts (0 for a padded batch, or a segment it does not have).
    public func start(ofSegment segment: Int) -> Int {
        guard let segmentStarts, segmentStarts.indices.contains(segment) else { return 0 }
        return segmentStarts[segment]
    }

    /// The longest sequence's length: the packed sequences', or the padded length.
    public var longestSequence: Int { segmentLengths?.max() ?? length }

    /// Column of token `index` (0-based within the unpadded sequence) of row `row`.
    public func column(row: Int, index: Int) throws -> Int {
        guard row >= 0, row < batchSize else {
            throw ModelError.positionOutOfRange(batch: row, position: index, detail: "batch has \(batchSize) rows")
        }
        let n = sequences[row].count
        let i = index < 0 ? index + n : index
        guard i >= 0, i < n else {
            throw ModelError.positionOutOfRange(batch: row, position: index, detail: "row \(row) has \(n) tokens")
        }
        return padding == .left ? length - n + i : i
    }

    /// Column of the last real token of `row`.
    public func lastColumn(row: Int) throws -> Int { try column(row: row, index: -1) }

    /// Flat index `row * length + column` of a token (for `[batch·length, ...]` views).
    public func flatIndex(row: Int, index: Int) throws -> Int { row * length + (try column(row: row, index: index)) }
}
