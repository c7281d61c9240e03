/// How the `M` targets are split across `K` ranks: contiguous slices made of whole tiles of
/// `granularity` targets (the last tile may be shorter). With `U = ⌈M/G⌉` tiles, rank `r` owns
/// tiles `⌊r·U/K⌋ ..< ⌊(r+1)·U/K⌋`, with their codes, weights, heights and optimiser state. Rank
/// order is index order, so a left-to-right loop over the targets is the ranks' loops in rank
/// order (`Communicator.sequentialFold`).
///
/// Why whole tiles: `PowerCells` computes scores tile by tile (`kernelTileSize` targets per sgemm
/// call, tiles starting at index 0 of its targets). BLAS does not round a product identically at
/// every column position of a call (measured with OpenBLAS 0.3.21's AVX-512 kernels: a target
/// scored in a tile that starts 256 or 300 columns earlier gets different last bits). Slices that
/// start on a tile boundary make every rank's sgemm calls exactly those of one process holding all
/// targets, so scores, winners and heights agree to the last bit.
public struct TargetPartition: Sendable, Equatable {
    /// `PowerCells`' default target tile (its `tileSize`).
    public static let kernelTileSize = 512

    /// `M`.
    public let totalCount: Int
    /// `K`.
    public let rankCount: Int
    /// This rank.
    public let rank: Int
    /// Targets per tile `G`.
    public let granularity: Int

    /// - Throws: `DistributedError.tooManyRanks` when there are fewer tiles than ranks (`K > ⌈M/G⌉`).
    public init(totalCount: Int, rankCount: Int, rank: Int, granularity: Int = TargetPartition.kernelTileSize) throws {
        precondition(totalCount >= 1 && rankCount >= 1 && (0..<rankCount).contains(rank) && granularity >= 1,
                     "TargetPartition: M = \(totalCount), K = \(rankCount), rank \(rank), granularity \(granularity)")
        let tiles = (totalCount + granularity - 1) / granularity
        guard rankCount <= tiles else {
            throw DistributedError.tooManyRanks(ranks: rankCount, targets: totalCount, granularity: granularity)
        }
        self.totalCount = totalCount
        self.rankCount = rankCount
        self.rank = rank
        self.granularity = granularity
    }

    /// `⌈M/G⌉`.
    public var tileCount: Int { (totalCount + granularity - 1) / granularity }

    /// The global indices owned by rank `r`.
    public func range(of r: Int) -> Range<Int> {
        let tiles = tileCount
        let first = r * tiles / rankCount, last = (r + 1) * tiles / rankCount
        return min(totalCount, first * granularity)..<min(totalCount, last * granularity)
    }

    /// This rank's global indices.
    public var localRange: Range<Int> { range(of: rank) }
    /// This rank's number of targets.
    public var localCount: Int { localRange.count }
    /// The global index of this rank's first target.
    public var offset: Int { localRange.lowerBound }

    /// The rank that owns global index `index`.
    public func owner(of index: Int) -> Int {
        precondition((0..<totalCount).contains(index), "TargetPartition.owner: index \(index) outside 0..<\(totalCount)")
        var r = min(rankCount - 1, (index / granularity) * rankCount / tileCount)
        while range(of: r).lowerBound > index { r -= 1 }
        while range(of: r).upperBound <= index { r += 1 }
        return r
    }
}
