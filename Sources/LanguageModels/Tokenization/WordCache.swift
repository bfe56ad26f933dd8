import Foundation

/// A bounded, lock-protected cache from a pre-tokenized word's UTF-8 bytes to its token
/// ids, shared by every thread using one ``Tokenizer``.
///
/// Keys are bytes, never `String`s: Swift compares strings by canonical equivalence, and
/// `"é"` (U+00E9) and `"e\u{301}"` must not share an entry. When full, the cache is
/// simply emptied (natural text re-fills it with its frequent words at once).
final class WordCache: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [[UInt8]: [Int32]] = [:]
    private let capacity: Int

    /// Words longer than this many bytes are not cached.
    let maxWordBytes: Int

    init(capacity: Int = 65_536, maxWordBytes: Int = 128) {
        self.capacity = capacity
        self.maxWordBytes = maxWordBytes
    }

    func get(_ key: [UInt8]) -> [Int32]? {
        lock.lock()
        defer { lock.unlock() }
        return storage[key]
    }

    func set(_ key: [UInt8], _ value: [Int32]) {
        lock.lock()
        defer { lock.unlock() }
        if storage.count >= capacity { storage.removeAll(keepingCapacity: true) }
        storage[key] = value
    }

    /// The number of cached words.
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return storage.count
    }

    func removeAll() {
        lock.lock()
        defer { lock.unlock() }
        storage.removeAll()
    }
}
