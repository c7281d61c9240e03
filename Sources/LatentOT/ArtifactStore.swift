import Foundation

/// Where a job's files live. Library code reads and writes named artifacts through this, so it never
/// touches the file system itself: the tool passes a folder-backed store that writes atomically,
/// tests pass a `MemoryStore`.
public protocol ArtifactStore: AnyObject {
    /// A description of the location for messages (a folder path).
    var location: String { get }
    /// The artifact's bytes, or nil when it does not exist.
    func read(_ name: String) throws -> Data?
    /// Writes (or replaces) an artifact as one atomic step.
    func write(_ data: Data, named name: String) throws
    /// Deletes an artifact; nothing happens when it does not exist.
    func remove(_ name: String) throws
}

extension ArtifactStore {
    /// Full name of an artifact for messages, e.g. `runs/x/report.json`.
    public func describe(_ name: String) -> String { (location as NSString).appendingPathComponent(name) }

    /// The artifact's bytes, or `LatentOTError.missingFile` naming it.
    public func require(_ name: String) throws -> Data {
        guard let data = try read(name) else { throw LatentOTError.missingFile(describe(name)) }
        return data
    }

    /// Encodes a value as pretty, key-sorted JSON (stable bytes for the same value).
    public func writeJSON<T: Encodable>(_ value: T, named name: String) throws {
        try write(JSONCoding.encode(value), named: name)
    }

    /// Decodes a JSON artifact, naming the file when it is missing or malformed.
    public func readJSON<T: Decodable>(_ type: T.Type, named name: String) throws -> T {
        let data = try require(name)
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw LatentOTError.corruptFile(describe(name), reason: JSONCoding.reason(error))
        }
    }
}

/// JSON with sorted keys and pretty printing, so equal values give equal bytes.
public enum JSONCoding {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(value) + Data("\n".utf8)
    }

    /// A short human description of a decoding error (the field path and what was wrong).
    public static func reason(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing field '\(path(context).isEmpty ? key.stringValue : path(context) + "." + key.stringValue)'"
        case .typeMismatch(let type, let context): return "field '\(path(context))': expected \(type), \(context.debugDescription)"
        case .valueNotFound(let type, let context): return "field '\(path(context))': expected \(type), found null"
        case .dataCorrupted(let context): return "field '\(path(context))': \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

/// An in-memory store (tests, dry runs).
public final class MemoryStore: ArtifactStore {
    public private(set) var files: [String: Data] = [:]
    public let location: String
    public init(location: String = "<memory>") { self.location = location }
    public func read(_ name: String) throws -> Data? { files[name] }
    public func write(_ data: Data, named name: String) throws { files[name] = data }
    public func remove(_ name: String) { files[name] = nil }
}
