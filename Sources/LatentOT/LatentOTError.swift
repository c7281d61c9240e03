/// Errors of the generative pipeline: each names the file or value, what was expected and found.
public enum LatentOTError: Error, CustomStringConvertible, Equatable {
    case missingFile(String)
    case corruptFile(String, reason: String)
    case invalidValue(field: String, expected: String, found: String)
    case incompatible(String, reason: String)

    public var description: String {
        switch self {
        case .missingFile(let file):
            return "\(file): missing. Hint: the folder is incomplete; re-run the command that writes it."
        case .corruptFile(let file, var reason):
            // A wrapped error often starts with the same path and carries its own hint: say each once.
            if reason.hasPrefix(file + ": ") { reason.removeFirst(file.count + 2) }
            if reason.contains("Hint:") { return "\(file): corrupt: \(reason)" }
            if file.hasSuffix("checkpoint.json") {
                // Resuming reads the checkpoint, so re-running alone would fail the same way.
                return "\(file): corrupt: \(reason). Hint: delete it to restart this stage from its beginning (the finished stages are kept)."
            }
            return "\(file): corrupt: \(reason). Hint: re-run the command that writes it."
        case .invalidValue(let field, let expected, let found):
            return "\(field): expected \(expected), found \(found)."
        case .incompatible(let file, let reason):
            return "\(file): \(reason)."
        }
    }
}
