/// What the distributed solver needs from a group of ranks: MPI's collectives and point-to-point
/// messages, as a protocol so the same solver runs on MPI processes (`MPICommunicator`) and on
/// threads of one process (`ThreadGroupCommunicator`, for tests and debugging).
///
/// Every collective call must be made by every rank, in the same order, with the same counts.
/// Implementations add the size of every buffer they hand over to `bytesCommunicated`.
public protocol Communicator: AnyObject {
    /// This rank, `0 ..< size`.
    var rank: Int { get }
    /// The number of ranks `K`.
    var size: Int { get }
    /// Payload bytes handed to the collectives and messages by this rank so far.
    var bytesCommunicated: Int { get }

    func barrier() throws
    /// `root`'s bytes into every rank's buffer (same size on every rank).
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws
    /// Element-wise reduction in place. Double sums depend on the order of the ranks unless at most
    /// one rank holds a non-zero value per element; the solver uses them only that way.
    func allreduce(_ values: UnsafeMutableBufferPointer<Double>, _ reduction: Reduction) throws
    func allreduce(_ values: UnsafeMutableBufferPointer<Int64>, _ reduction: Reduction) throws
    /// MPI_MAXLOC: per element the larger score, on equal scores the lower index.
    func allreduceMaxLocation(_ pairs: UnsafeMutableBufferPointer<ScoreIndex>) throws
    /// Per element the two best entries of all ranks (`TopTwo.merge`).
    func allreduceTopTwo(_ entries: UnsafeMutableBufferPointer<TopTwo>) throws
    func send(_ values: UnsafeBufferPointer<Double>, to destination: Int, tag: Int) throws
    func receive(_ values: UnsafeMutableBufferPointer<Double>, from source: Int, tag: Int) throws
    /// Whether a message from `source` with `tag` is waiting (returns at once): a rank with nothing
    /// to do polls this and sleeps in between rather than spin in a blocking receive.
    func hasMessage(from source: Int, tag: Int) throws -> Bool
}

/// How a collective combines a vector element by element.
public enum Reduction: Sendable { case sum, max, min }

extension Communicator {
    /// A sum, maximum or minimum of one Double over the ranks.
    public func allreduce(_ value: Double, _ reduction: Reduction) throws -> Double {
        var v = [value]
        try v.withUnsafeMutableBufferPointer { try allreduce($0, reduction) }
        return v[0]
    }

    /// A sum, maximum or minimum of one integer over the ranks.
    public func allreduce(_ value: Int, _ reduction: Reduction) throws -> Int {
        var v = [Int64(value)]
        try v.withUnsafeMutableBufferPointer { try allreduce($0, reduction) }
        return Int(v[0])
    }

    /// Broadcasts a Double array from `root` (the same count on every rank).
    public func broadcast(_ values: inout [Double], root: Int) throws {
        try values.withUnsafeMutableBytes { try broadcast($0, root: root) }
    }

    /// Runs a computation sequentially across the ranks, in rank order: rank 0 folds its part into
    /// `state`, passes it to rank 1, which continues, and so on; the last rank's state is then
    /// broadcast to all. This reproduces a single process's left-to-right loop over all targets
    /// bit for bit (the same additions in the same order), whatever `K`: the solver uses it for
    /// the sums over targets (means, the cell error statistics). It costs `K - 1` messages in a
    /// chain plus a broadcast of `state.count` Doubles.
    public func sequentialFold(_ state: inout [Double], tag: Int = 1, _ body: (inout [Double]) -> Void) throws {
        if rank > 0 { try state.withUnsafeMutableBufferPointer { try receive($0, from: rank - 1, tag: tag) } }
        body(&state)
        if size == 1 { return }
        if rank < size - 1 { try state.withUnsafeBufferPointer { try send($0, to: rank + 1, tag: tag) } }
        try broadcast(&state, root: size - 1)
    }

    /// Makes every rank agree on a failure found by some of them: if any rank passes an error, every
    /// rank throws `DistributedError.rankFailed` with the message of the lowest failing rank.
    /// Call it after every step that may fail on some ranks only (reading input, validating it), so
    /// that no rank waits forever in a collective call that a failed rank will never make.
    public func agree(_ localError: Error?) throws {
        let failing = try allreduce(localError == nil ? size : rank, .min)
        guard failing < size else { return }
        var buffer = [UInt8](repeating: 0, count: 2048)
        if failing == rank, let localError {
            let text = Array(String(describing: localError).utf8.prefix(buffer.count - 1))
            buffer.replaceSubrange(0..<text.count, with: text)
        }
        try buffer.withUnsafeMutableBytes { try broadcast($0, root: failing) }
        let length = buffer.firstIndex(of: 0) ?? buffer.count
        throw DistributedError.rankFailed(rank: failing, message: String(decoding: buffer[..<length], as: UTF8.self))
    }
}
