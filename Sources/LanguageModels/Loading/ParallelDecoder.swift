import Dispatch

/// Decodes many tensors' raw bytes to float32, splitting the work into chunks of about a
/// million output bytes spread over the machine's cores.
///
/// Each chunk writes a disjoint range of a destination tensor that was allocated before the
/// run, so the threads never share a write. After a chunk is decoded, the whole pages of its
/// source range are handed back to the kernel (`ByteSource.discard`) so that the mapped file
/// and the float32 copy are not both resident at the peak.
struct ParallelDecoder {
    /// One tensor to decode: `blocks` blocks of `type` at `src` into `dst`.
    struct Job {
        let type: GGMLType
        let src: UnsafeRawPointer
        /// Offset of `src` in the source's bytes (for `discard`).
        let sourceOffset: Int
        let blocks: Int
        let dst: UnsafeMutablePointer<Float>
    }

    /// A slice of a job; `@unchecked Sendable` because the pointers it carries address
    /// memory that stays alive for the whole run and that no other chunk writes.
    private struct Chunk: @unchecked Sendable {
        let type: GGMLType
        let src: UnsafeRawPointer
        let sourceRange: Range<Int>
        let blocks: Int
        let dst: UnsafeMutablePointer<Float>
    }

    /// The source, shared read-only by the workers (`discard` only reads its fields).
    private struct SharedSource: @unchecked Sendable {
        let source: ByteSource?
    }

    /// Output floats per chunk.
    static let chunkElements = 1 << 18

    /// Decodes every job. Returns the types that have no dequantiser (decoding nothing) when
    /// there are any, else an empty array. Byte ranges must have been validated by the caller.
    static func run(_ jobs: [Job], discardingFrom source: ByteSource?, threads: Int = 2) -> [GGMLType] {
        let unsupported = jobs.map(\.type).filter { !$0.isDequantizable }
        guard unsupported.isEmpty else { return unsupported }
        var chunks: [Chunk] = []
        for job in jobs {
            let per = max(1, chunkElements / job.type.blockSize)
            var b = 0
            repeat {
                let n = min(per, job.blocks - b)
                let srcOff = b * job.type.blockBytes
                chunks.append(Chunk(type: job.type, src: job.src + srcOff,
                                    sourceRange: (job.sourceOffset + srcOff)..<(job.sourceOffset + srcOff + n * job.type.blockBytes),
                                    blocks: n, dst: job.dst + b * job.type.blockSize))
                b += n
            } while b < job.blocks
        }
        let shared = SharedSource(source: source)
        let chunkList = chunks
        let work: @Sendable (Int) -> Void = { i in
            let c = chunkList[i]
            if c.blocks > 0 {
                _ = GGMLDequantizer.dequantize(c.type, from: c.src, blocks: c.blocks, into: c.dst)
            }
            shared.source?.discard(c.sourceRange)
        }
        if threads > 1 && chunks.count > 1 {
            DispatchQueue.concurrentPerform(iterations: chunks.count, execute: work)
        } else {
            for i in chunks.indices { work(i) }
        }
        return []
    }
}
