import Foundation

/// `K` ranks as threads of one process, sharing memory: the same collectives as MPI, with the
/// same results (reductions combine the ranks' values in rank order; MAXLOC and the top-two merge
/// only select, so their order does not matter anyway). For tests of the distributed solver
/// without `mpirun`, and for debugging.
///
/// If one rank's body throws, the group is marked failed and the other ranks' pending and later
/// calls throw `DistributedError.rankFailed` instead of waiting forever.
public final class ThreadGroupCommunicator: Communicator, @unchecked Sendable {
    public let rank: Int
    public var size: Int { group.size }
    public private(set) var bytesCommunicated = 0
    let group: Group

    init(rank: Int, group: Group) {
        self.rank = rank
        self.group = group
    }

    /// Runs `body` on `size` threads, one communicator each, and returns each rank's result in rank
    /// order.
    public static func run<T>(size: Int, _ body: @escaping @Sendable (ThreadGroupCommunicator) throws -> T) -> [Result<T, Error>] {
        precondition(size >= 1, "ThreadGroupCommunicator.run: size \(size)")
        let group = Group(size: size)
        let results = ResultBox<T>(count: size)
        let done = DispatchGroup()
        for r in 0..<size {
            done.enter()
            let thread = Thread {
                let communicator = ThreadGroupCommunicator(rank: r, group: group)
                do { results.set(r, .success(try body(communicator))) } catch {
                    group.fail(rank: r, error)
                    results.set(r, .failure(error))
                }
                done.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        done.wait()
        return results.values.map { $0! }
    }

    final class ResultBox<T>: @unchecked Sendable {
        let lock = NSLock()
        var values: [Result<T, Error>?]
        init(count: Int) { values = Array(repeating: nil, count: count) }
        func set(_ index: Int, _ value: Result<T, Error>) { lock.lock(); values[index] = value; lock.unlock() }
    }

    /// The shared state: a reusable barrier, one published buffer per rank, mailboxes.
    final class Group: @unchecked Sendable {
        let size: Int
        let condition = NSCondition()
        var arrived = 0
        var generation = 0
        var slots: [UnsafeMutableRawPointer?]
        var mailboxes: [Int: [[Double]]] = [:] // key: (source · size + destination) · 1024 + tag
        var failure: (rank: Int, message: String)? = nil

        init(size: Int) {
            self.size = size
            slots = Array(repeating: nil, count: size)
        }

        func fail(rank: Int, _ error: Error) {
            condition.lock()
            if failure == nil { failure = (rank, "\(error)") }
            condition.broadcast()
            condition.unlock()
        }

        func checkFailure() throws {
            if let failure { throw DistributedError.rankFailed(rank: failure.rank, message: failure.message) }
        }

        func barrier() throws {
            condition.lock()
            defer { condition.unlock() }
            try checkFailure()
            let current = generation
            arrived += 1
            if arrived == size {
                arrived = 0
                generation += 1
                condition.broadcast()
                return
            }
            while generation == current {
                try checkFailure()
                condition.wait()
            }
        }
    }

    /// Publishes `pointer`, waits for all, runs `read` (which may read every rank's slot), waits again.
    private func exchange(_ pointer: UnsafeMutableRawPointer?, _ read: ([UnsafeMutableRawPointer?]) -> Void) throws {
        group.condition.lock()
        group.slots[rank] = pointer
        group.condition.unlock()
        try group.barrier()
        group.condition.lock()
        let slots = group.slots
        group.condition.unlock()
        read(slots)
        try group.barrier()
    }

    public func barrier() throws { try group.barrier() }

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {
        var copy: [UInt8] = []
        try exchange(buffer.baseAddress) { slots in
            if rank != root, buffer.count > 0 { copy = Array(UnsafeRawBufferPointer(start: slots[root], count: buffer.count)) }
        }
        if rank != root, buffer.count > 0 { copy.withUnsafeBytes { buffer.copyMemory(from: $0) } }
        bytesCommunicated += buffer.count
    }

    private func reduce<T>(_ values: UnsafeMutableBufferPointer<T>, _ combine: (T, T) -> T) throws {
        var result = [T]()
        try exchange(UnsafeMutableRawPointer(values.baseAddress)) { slots in
            result = Array(UnsafeBufferPointer(start: slots[0]?.assumingMemoryBound(to: T.self), count: values.count))
            for r in 1..<size {
                let other = slots[r]!.assumingMemoryBound(to: T.self)
                for i in 0..<values.count { result[i] = combine(result[i], other[i]) }
            }
        }
        for i in 0..<values.count { values[i] = result[i] }
        bytesCommunicated += values.count * MemoryLayout<T>.stride
    }

    public func allreduce(_ values: UnsafeMutableBufferPointer<Double>, _ reduction: Reduction) throws {
        switch reduction {
        case .sum: try reduce(values, +)
        case .max: try reduce(values) { Swift.max($0, $1) }
        case .min: try reduce(values) { Swift.min($0, $1) }
        }
    }

    public func allreduce(_ values: UnsafeMutableBufferPointer<Int64>, _ reduction: Reduction) throws {
        switch reduction {
        case .sum: try reduce(values, &+)
        case .max: try reduce(values) { Swift.max($0, $1) }
        case .min: try reduce(values) { Swift.min($0, $1) }
        }
    }

    public func allreduceMaxLocation(_ pairs: UnsafeMutableBufferPointer<ScoreIndex>) throws {
        try reduce(pairs, ScoreIndex.maxLocation)
    }

    public func allreduceTopTwo(_ entries: UnsafeMutableBufferPointer<TopTwo>) throws {
        try reduce(entries, TopTwo.merge)
    }

    private func key(_ source: Int, _ destination: Int, _ tag: Int) -> Int { (source * size + destination) * 1024 + tag }

    public func send(_ values: UnsafeBufferPointer<Double>, to destination: Int, tag: Int) throws {
        group.condition.lock()
        defer { group.condition.unlock() }
        try group.checkFailure()
        group.mailboxes[key(rank, destination, tag), default: []].append(Array(values))
        group.condition.broadcast()
        bytesCommunicated += values.count * 8
    }

    public func receive(_ values: UnsafeMutableBufferPointer<Double>, from source: Int, tag: Int) throws {
        group.condition.lock()
        defer { group.condition.unlock() }
        let k = key(source, rank, tag)
        while group.mailboxes[k, default: []].isEmpty {
            try group.checkFailure()
            group.condition.wait()
        }
        let message = group.mailboxes[k]!.removeFirst()
        precondition(message.count == values.count,
                     "ThreadGroupCommunicator.receive: \(message.count) values sent, \(values.count) expected")
        for i in 0..<values.count { values[i] = message[i] }
        bytesCommunicated += values.count * 8
    }

    public func hasMessage(from source: Int, tag: Int) throws -> Bool {
        group.condition.lock()
        defer { group.condition.unlock() }
        try group.checkFailure()
        return !(group.mailboxes[key(source, rank, tag)]?.isEmpty ?? true)
    }
}
