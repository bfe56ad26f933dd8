/// The hand-written scanners behind ``PreTokenizer``. Each one walks scalars
/// `lo ..< hi` and appends the end index of every word, reproducing the leftmost-first
/// alternation and greedy backtracking of its regex exactly; `hi` acts as end of text
/// (so the `(?!\S)` lookahead succeeds there).
enum PreTokenizerScanner {
    typealias Scalars = UnsafeBufferPointer<UInt32>
    typealias Classes = UnsafeBufferPointer<ScalarClass>

    static let apostrophe: UInt32 = 0x27
    static let space: UInt32 = 0x20
    static let cr: UInt32 = 0x0D
    static let lf: UInt32 = 0x0A

    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    static func gpt2(_ cp: Scalars, _ cls: Classes, _ lo: Int, _ hi: Int, _ ends: inout [Int]) {
        var pos = lo
        while pos < hi {
            let c = cp[pos]
            // 's|'t|'re|'ve|'m|'ll|'d (case-sensitive)
            if c == apostrophe, pos + 1 < hi {
                let n = cp[pos + 1]
                if n == 0x73 || n == 0x74 || n == 0x6D || n == 0x64 {  // s t m d
                    pos += 2; ends.append(pos); continue
                }
                if pos + 2 < hi {
                    let nn = cp[pos + 2]
                    if (n == 0x72 && nn == 0x65) || (n == 0x76 && nn == 0x65) || (n == 0x6C && nn == 0x6C) {  // re ve ll
                        pos += 3; ends.append(pos); continue
                    }
                }
            }
            // ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+': with the optional space, the run's
            // class is that of the next scalar; without it, that of this scalar.
            let hasSpace = c == space && pos + 1 < hi
            let runStart = hasSpace ? pos + 1 : pos
            let k = cls[runStart]
            if k != .whitespace {
                var p = runStart + 1
                while p < hi && cls[p] == k { p += 1 }
                ends.append(p); pos = p; continue
            }
            // \s+(?!\S) | \s+ ; here cls[pos] is whitespace.
            var p = pos + 1
            while p < hi && cls[p] == .whitespace { p += 1 }
            if p - pos > 1 && p < hi {
                p -= 1  // leave the last whitespace for the next word (" word")
            }
            ends.append(p); pos = p
        }
    }

    /// llama.cpp's `smollm`: every `\p{N}` scalar alone, then ``gpt2(_:_:_:_:_:)`` on the
    /// stretches between them.
    static func smollm(_ cp: Scalars, _ cls: Classes, _ lo: Int, _ hi: Int, _ ends: inout [Int]) {
        var runStart = lo
        var i = lo
        while i < hi {
            if cls[i] == .number {
                if runStart < i { gpt2(cp, cls, runStart, i, &ends) }
                ends.append(i + 1)
                runStart = i + 1
            }
            i += 1
        }
        if runStart < hi { gpt2(cp, cls, runStart, hi, &ends) }
    }

    /// Case-insensitive match of one contraction letter (`(?i:...)` with Unicode simple
    /// case folding: `ſ` U+017F folds to `s`).
    @inline(__always)
    static func foldsTo(_ c: UInt32, _ lower: UInt32) -> Bool {
        c == lower || c == lower - 0x20 || (lower == 0x73 && c == 0x17F)
    }

    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    static func llama3(_ cp: Scalars, _ cls: Classes, _ lo: Int, _ hi: Int, _ ends: inout [Int]) {
        var pos = lo
        while pos < hi {
            let c = cp[pos]
            let k = cls[pos]
            if c == apostrophe, pos + 1 < hi {
                let n = cp[pos + 1]
                if foldsTo(n, 0x73) || foldsTo(n, 0x74) || foldsTo(n, 0x6D) || foldsTo(n, 0x64) {
                    pos += 2; ends.append(pos); continue
                }
                if pos + 2 < hi {
                    let nn = cp[pos + 2]
                    if (foldsTo(n, 0x72) && foldsTo(nn, 0x65)) || (foldsTo(n, 0x76) && foldsTo(nn, 0x65))
                        || (foldsTo(n, 0x6C) && foldsTo(nn, 0x6C)) {
                        pos += 3; ends.append(pos); continue
                    }
                }
            }
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if k == .letter {
                var p = pos + 1
                while p < hi && cls[p] == .letter { p += 1 }
                ends.append(p); pos = p; continue
            }
            if k != .number && c != cr && c != lf && pos + 1 < hi && cls[pos + 1] == .letter {
                var p = pos + 2
                while p < hi && cls[p] == .letter { p += 1 }
                ends.append(p); pos = p; continue
            }
            // \p{N}{1,3}
            if k == .number {
                var p = pos + 1
                while p < hi && p - pos < 3 && cls[p] == .number { p += 1 }
                ends.append(p); pos = p; continue
            }
            // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
            let runStart = (c == space && pos + 1 < hi) ? pos + 1 : pos
            if cls[runStart] == .other {
                var p = runStart + 1
                while p < hi && cls[p] == .other { p += 1 }
                while p < hi && (cp[p] == cr || cp[p] == lf) { p += 1 }
                ends.append(p); pos = p; continue
            }
            // Here cls[pos] is whitespace. \s*[\r\n]+ : up to the last \r or \n of the run.
            var p = pos
            var afterLastNewline = -1
            while p < hi && cls[p] == .whitespace {
                if cp[p] == cr || cp[p] == lf { afterLastNewline = p + 1 }
                p += 1
            }
            if afterLastNewline > 0 {
                ends.append(afterLastNewline); pos = afterLastNewline; continue
            }
            // \s+(?!\S) | \s+
            if p - pos > 1 && p < hi { p -= 1 }
            ends.append(p); pos = p
        }
    }
}
