/// Bad outside input to the transport engine: every case names the offending field, what was
/// expected and what was found, so a message can be shown to a user as it is.
///
/// Non-convergence is not an error: it is reported by `SemiDiscreteSolution.hasConverged` and
/// `stopReason`. Programmer errors (buffers of the wrong size passed to the kernel) are
/// preconditions.
public enum TransportError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The target points `y_i` (empty, wrong length, non-finite values, repeated rows).
    case invalidTargets(field: String, expected: String, found: String)
    /// The dimension `d` of the points.
    case invalidDimension(field: String, expected: String, found: String)
    /// The target weights `ν_i` (wrong length, negative or zero, non-finite, not summing to 1).
    case invalidWeights(field: String, expected: String, found: String)
    /// Heights `h_i` given for a warm start or a transport map.
    case invalidHeights(field: String, expected: String, found: String)
    /// The source measure `μ` (e.g. a non-positive box half-width).
    case invalidSource(field: String, expected: String, found: String)
    /// Any other argument (counts, thresholds, probabilities).
    case invalidArgument(field: String, expected: String, found: String)

    /// The field that was refused, e.g. `"weights"` or `"targets[12]"`.
    public var field: String {
        switch self {
        case .invalidTargets(let field, _, _), .invalidDimension(let field, _, _),
             .invalidWeights(let field, _, _), .invalidHeights(let field, _, _),
             .invalidSource(let field, _, _), .invalidArgument(let field, _, _):
            return field
        }
    }

    /// What a valid value looks like.
    public var expected: String {
        switch self {
        case .invalidTargets(_, let expected, _), .invalidDimension(_, let expected, _),
             .invalidWeights(_, let expected, _), .invalidHeights(_, let expected, _),
             .invalidSource(_, let expected, _), .invalidArgument(_, let expected, _):
            return expected
        }
    }

    /// What was actually given.
    public var found: String {
        switch self {
        case .invalidTargets(_, _, let found), .invalidDimension(_, _, let found),
             .invalidWeights(_, _, let found), .invalidHeights(_, _, let found),
             .invalidSource(_, _, let found), .invalidArgument(_, _, let found):
            return found
        }
    }

    private var kind: String {
        switch self {
        case .invalidTargets: return "invalid targets"
        case .invalidDimension: return "invalid dimension"
        case .invalidWeights: return "invalid weights"
        case .invalidHeights: return "invalid heights"
        case .invalidSource: return "invalid source"
        case .invalidArgument: return "invalid argument"
        }
    }

    private var hint: String? {
        switch self {
        case .invalidTargets where expected.contains("distinct"):
            return "merge repeated points into one target and add their weights"
        case .invalidTargets where expected.contains("finite"):
            return "check the encoder output or the file for NaN/Inf"
        case .invalidWeights where expected.contains("sum"):
            return "divide the weights by their sum before building the problem"
        case .invalidWeights where expected.contains("> 0"):
            return "drop targets with zero weight: their cells must be empty"
        default:
            return nil
        }
    }

    public var description: String {
        var text = "\(kind): \(field): expected \(expected), found \(found)"
        if let hint { text += " (hint: \(hint))" }
        return text
    }
}
