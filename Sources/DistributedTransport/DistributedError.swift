/// Errors of a distributed solve that are not bad input to the transport engine (`TransportError`)
/// nor a failed MPI call (`MPIError`).
public enum DistributedError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Some rank failed (bad input, unreadable file); every rank throws this with its message.
    case rankFailed(rank: Int, message: String)
    /// A solver setting the distributed solver does not implement.
    case unsupported(field: String, expected: String, found: String)
    /// More ranks than tiles of targets: every rank must own at least one whole tile.
    case tooManyRanks(ranks: Int, targets: Int, granularity: Int)

    public var description: String {
        switch self {
        case .rankFailed(let rank, let message):
            return "rank \(rank) failed: \(message)"
        case .unsupported(let field, let expected, let found):
            return "\(field): the distributed solver supports \(expected), found \(found)"
        case .tooManyRanks(let ranks, let targets, let granularity):
            let tiles = (targets + granularity - 1) / granularity
            return "\(ranks) ranks for \(targets) targets: targets are split in whole tiles of \(granularity) (\(tiles) here) "
                + "and every rank needs at least one, so use at most \(tiles) ranks"
        }
    }
}
