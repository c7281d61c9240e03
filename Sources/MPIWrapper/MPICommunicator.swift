import CMPI
import DistributedTransport

/// A thin wrapper over an MPI communicator: rank and size, barrier, broadcast, sums and maxima of
/// Double and Int64 vectors, MPI_MAXLOC on (Float score, Int32 index) pairs, a top-two merge, and
/// point-to-point messages of Doubles. Every call throws `MPIError` on failure and adds the size of
/// the buffer it handed to MPI to `bytesCommunicated` (payload per rank, not wire traffic).
///
/// Collective calls must be made by every rank in the same order with the same counts.
public final class MPICommunicator: @unchecked Sendable {
    /// The C handle.
    public let handle: MPI_Comm
    /// This process's rank, `0 ..< size`.
    public let rank: Int
    /// The number of ranks.
    public let size: Int
    /// Payload bytes handed to MPI by this rank so far (each collective counts its buffer once).
    public private(set) var bytesCommunicated = 0

    init(handle: MPI_Comm) throws(MPIError) {
        self.handle = handle
        var rank: Int32 = 0, size: Int32 = 0
        try MPIError.check(MPI_Comm_rank(handle, &rank), "MPI_Comm_rank")
        try MPIError.check(MPI_Comm_size(handle, &size), "MPI_Comm_size")
        self.rank = Int(rank)
        self.size = Int(size)
        // The Swift pairs are handed to MPI as its C structs: their layouts must agree.
        precondition(MemoryLayout<ScoreIndex>.stride == MemoryLayout<latentot_score_index>.stride
                        && MemoryLayout<ScoreIndex>.offset(of: \.index) == 4
                        && MemoryLayout<TopTwo>.stride == MemoryLayout<latentot_top_two>.stride
                        && MemoryLayout<TopTwo>.offset(of: \.second) == 12,
                     "ScoreIndex/TopTwo layouts differ from MPI_FLOAT_INT and the top-two datatype")
    }

    static func operation(_ reduction: Reduction) -> MPI_Op {
        switch reduction {
        case .sum: return latentot_mpi_sum()
        case .max: return latentot_mpi_max()
        case .min: return latentot_mpi_min()
        }
    }

    static func checkedCount(_ count: Int, _ operation: String) throws(MPIError) -> Int32 {
        guard count <= Int(Int32.max) else {
            throw MPIError(operation: operation, code: -1, message: "\(count) elements exceed MPI's Int32 count")
        }
        return Int32(count)
    }

    // MARK: - Collectives

    /// Waits until every rank has called it.
    public func barrier() throws(MPIError) {
        try MPIError.check(MPI_Barrier(handle), "MPI_Barrier")
    }

    /// Copies `root`'s bytes into every rank's `buffer` (all ranks pass buffers of the same size).
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws(MPIError) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        let count = try Self.checkedCount(buffer.count, "MPI_Bcast")
        try MPIError.check(MPI_Bcast(base, count, latentot_mpi_byte(), Int32(root), handle),
                           "MPI_Bcast (\(buffer.count) bytes from rank \(root))")
        bytesCommunicated += buffer.count
    }

    /// Element-wise sum, maximum or minimum over the ranks, in place. Sums of Doubles depend on
    /// the reduction order except where at most one rank holds a non-zero value per element.
    public func allreduce(_ values: UnsafeMutableBufferPointer<Double>, _ reduction: Reduction) throws(MPIError) {
        guard let base = values.baseAddress, values.count > 0 else { return }
        let count = try Self.checkedCount(values.count, "MPI_Allreduce")
        try MPIError.check(MPI_Allreduce(latentot_mpi_in_place(), base, count, latentot_mpi_double(),
                                         Self.operation(reduction), handle),
                           "MPI_Allreduce (\(values.count) doubles, \(reduction))")
        bytesCommunicated += values.count * 8
    }

    /// Element-wise sum (exact), maximum or minimum of Int64s over the ranks, in place.
    public func allreduce(_ values: UnsafeMutableBufferPointer<Int64>, _ reduction: Reduction) throws(MPIError) {
        guard let base = values.baseAddress, values.count > 0 else { return }
        let count = try Self.checkedCount(values.count, "MPI_Allreduce")
        try MPIError.check(MPI_Allreduce(latentot_mpi_in_place(), base, count, latentot_mpi_int64(),
                                         Self.operation(reduction), handle),
                           "MPI_Allreduce (\(values.count) int64, \(reduction))")
        bytesCommunicated += values.count * 8
    }

    /// MPI_MAXLOC over (score, index) pairs, in place: per element the largest score, and on equal
    /// scores the lowest index. Pure selection, so the result does not depend on the reduction order.
    public func allreduceMaxLocation(_ pairs: UnsafeMutableBufferPointer<ScoreIndex>) throws(MPIError) {
        guard let base = pairs.baseAddress, pairs.count > 0 else { return }
        let count = try Self.checkedCount(pairs.count, "MPI_Allreduce")
        try MPIError.check(MPI_Allreduce(latentot_mpi_in_place(), base, count, latentot_mpi_float_int(),
                                         latentot_mpi_maxloc(), handle),
                           "MPI_Allreduce (MAXLOC of \(pairs.count) score-index pairs)")
        bytesCommunicated += pairs.count * MemoryLayout<ScoreIndex>.stride
    }

    /// The two best (score, index) entries per element over the ranks, in place (`TopTwo.merge`, a
    /// commutative user operation on a 16-byte datatype).
    public func allreduceTopTwo(_ entries: UnsafeMutableBufferPointer<TopTwo>) throws(MPIError) {
        guard let base = entries.baseAddress, entries.count > 0 else { return }
        let count = try Self.checkedCount(entries.count, "MPI_Allreduce")
        let (datatype, operation) = try topTwoOperation()
        try MPIError.check(MPI_Allreduce(latentot_mpi_in_place(), base, count, datatype, operation, handle),
                           "MPI_Allreduce (top-two merge of \(entries.count) entries)")
        bytesCommunicated += entries.count * MemoryLayout<TopTwo>.stride
    }

    // MARK: - Point to point

    /// Sends Doubles to rank `destination` (blocking until the buffer may be reused).
    public func send(_ values: UnsafeBufferPointer<Double>, to destination: Int, tag: Int = 0) throws(MPIError) {
        let count = try Self.checkedCount(values.count, "MPI_Send")
        try MPIError.check(MPI_Send(values.baseAddress, count, latentot_mpi_double(), Int32(destination), Int32(tag), handle),
                           "MPI_Send (\(values.count) doubles to rank \(destination))")
        bytesCommunicated += values.count * 8
    }

    /// Receives exactly `values.count` Doubles from rank `source`.
    public func receive(_ values: UnsafeMutableBufferPointer<Double>, from source: Int, tag: Int = 0) throws(MPIError) {
        let count = try Self.checkedCount(values.count, "MPI_Recv")
        var status = MPI_Status()
        try MPIError.check(MPI_Recv(values.baseAddress, count, latentot_mpi_double(), Int32(source), Int32(tag), handle, &status),
                           "MPI_Recv (\(values.count) doubles from rank \(source))")
        bytesCommunicated += values.count * 8
    }

    /// Whether a message from rank `source` with `tag` is waiting to be received (MPI_Iprobe:
    /// returns at once). A rank with nothing to do polls this and sleeps in between, rather than
    /// sit in a blocking receive, which Open MPI serves by spinning on a core.
    public func hasMessage(from source: Int, tag: Int) throws(MPIError) -> Bool {
        var flag: Int32 = 0
        var status = MPI_Status()
        try MPIError.check(MPI_Iprobe(Int32(source), Int32(tag), handle, &flag, &status),
                           "MPI_Iprobe (rank \(source), tag \(tag))")
        return flag != 0
    }

    // MARK: - The top-two datatype and operation (created on first use, freed by `release()`)

    private var topTwo: (MPI_Datatype, MPI_Op)? = nil

    func topTwoOperation() throws(MPIError) -> (MPI_Datatype, MPI_Op) {
        if let topTwo { return topTwo }
        var datatype: MPI_Datatype? = latentot_mpi_datatype_null()
        try MPIError.check(MPI_Type_contiguous(4, latentot_mpi_int32(), &datatype), "MPI_Type_contiguous")
        try MPIError.check(MPI_Type_commit(&datatype), "MPI_Type_commit")
        var operation: MPI_Op? = latentot_mpi_op_null()
        try MPIError.check(MPI_Op_create(mergeTopTwo, 1, &operation), "MPI_Op_create")
        guard let datatype, let operation else {
            throw MPIError(operation: "MPI_Op_create", code: -1, message: "no datatype or operation returned")
        }
        let pair = (datatype, operation)
        topTwo = pair
        return pair
    }

    /// Frees what this communicator created (before MPI_Finalize; `MPIEnvironment.finish` calls it).
    func release() {
        guard let (datatype, operation) = topTwo else { return }
        var d: MPI_Datatype? = datatype, o: MPI_Op? = operation
        MPI_Op_free(&o)
        MPI_Type_free(&d)
        topTwo = nil
    }
}

extension MPICommunicator: Communicator {}

/// MPI user function: `inout[i] = merge(in[i], inout[i])` for `TopTwo` entries.
private let mergeTopTwo: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
                                          UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<MPI_Datatype?>?) -> Void = {
    incoming, accumulated, length, _ in
    guard let incoming, let accumulated, let length else { return }
    let a = incoming.assumingMemoryBound(to: TopTwo.self), b = accumulated.assumingMemoryBound(to: TopTwo.self)
    for i in 0..<Int(length.pointee) { b[i] = TopTwo.merge(a[i], b[i]) }
}
