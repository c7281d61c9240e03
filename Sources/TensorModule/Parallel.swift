import Foundation

/// Data parallelism over the machine's cores.
public enum Parallel {
    /// Worker count: `LATENTOT_THREADS` when set to a positive integer, else the active processor
    /// cores. Read once per process. Results never depend on it (work is split by problem size or
    /// into blocks whose every output is computed whole by one call); the variable lets a test and
    /// a user check that by running with other counts.
    public static let coreCount: Int = {
        if let value = ProcessInfo.processInfo.environment["LATENTOT_THREADS"], let count = Int(value), count >= 1 {
            return min(count, 1024)
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Runs `body(chunk)` for chunk in 0..<chunkCount on all cores and waits for all of them.
    /// Chunks must write disjoint memory; results are combined by the caller in chunk order,
    /// which keeps reductions deterministic whatever the scheduling.
    public static func forEach(_ chunkCount: Int, _ body: (Int) -> Void) {
        if chunkCount <= 0 { return }
        if chunkCount == 1 { body(0); return }
        DispatchQueue.concurrentPerform(iterations: chunkCount, execute: body)
    }

    /// Splits 0..<count into at most `maxChunks` contiguous ranges of nearly equal size.
    public static func ranges(_ count: Int, maxChunks: Int = Parallel.coreCount * 4,
                              minimumChunk: Int = 1) -> [Range<Int>] {
        if count <= 0 { return [] }
        let chunks = max(1, min(maxChunks, count / max(1, minimumChunk)))
        let base = count / chunks, extra = count % chunks
        var result: [Range<Int>] = []
        result.reserveCapacity(chunks)
        var start = 0
        for c in 0..<chunks {
            let size = base + (c < extra ? 1 : 0)
            result.append(start..<(start + size))
            start += size
        }
        return result
    }
}
