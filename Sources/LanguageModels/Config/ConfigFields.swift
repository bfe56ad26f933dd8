/// Typed access to the members of a JSON configuration object, with errors that name the
/// file and the key.
struct ConfigFields {
    let object: [String: JSONValue]
    let file: String

    /// Whether `key` is absent or null.
    func isAbsent(_ key: String) -> Bool { object[key] == nil || object[key] == .null }

    func int(_ key: String) throws(ConfigError) -> Int {
        guard let v = object[key], !v.isNull else { throw ConfigError.missingKey(file: file, key: key) }
        guard let i = v.intValue else { throw ConfigError.invalidValue(file: file, key: key, detail: "expected an integer, got \(v)") }
        return i
    }

    func int(_ key: String, default d: Int) throws(ConfigError) -> Int { isAbsent(key) ? d : try int(key) }

    func optionalInt(_ key: String) throws(ConfigError) -> Int? { isAbsent(key) ? nil : try int(key) }

    func double(_ key: String) throws(ConfigError) -> Double {
        guard let v = object[key], !v.isNull else { throw ConfigError.missingKey(file: file, key: key) }
        guard let d = v.doubleValue else { throw ConfigError.invalidValue(file: file, key: key, detail: "expected a number, got \(v)") }
        return d
    }

    func double(_ key: String, default d: Double) throws(ConfigError) -> Double { isAbsent(key) ? d : try double(key) }

    func bool(_ key: String, default d: Bool) throws(ConfigError) -> Bool {
        guard !isAbsent(key), let v = object[key] else { return d }
        guard let b = v.boolValue else { throw ConfigError.invalidValue(file: file, key: key, detail: "expected true or false, got \(v)") }
        return b
    }

    func string(_ key: String, default d: String) throws(ConfigError) -> String {
        guard !isAbsent(key), let v = object[key] else { return d }
        guard let s = v.stringValue else { throw ConfigError.invalidValue(file: file, key: key, detail: "expected a string, got \(v)") }
        return s
    }

    /// A token id given as an integer or a list of integers (the first is used), if present.
    func tokenId(_ key: String) throws(ConfigError) -> Int? {
        guard !isAbsent(key), let v = object[key] else { return nil }
        if let i = v.intValue { return i }
        if let a = v.arrayValue {
            guard let first = a.first else { return nil }
            guard let i = first.intValue else { throw ConfigError.invalidValue(file: file, key: key, detail: "expected token ids, got \(v)") }
            return i
        }
        throw ConfigError.invalidValue(file: file, key: key, detail: "expected a token id, got \(v)")
    }
}
