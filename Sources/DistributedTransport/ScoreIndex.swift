/// A point's best target and its score. Its layout is MPI's `MPI_FLOAT_INT` (`{float; int32}`,
/// 8 bytes), which the MPI communicator checks before it hands these to MPI_MAXLOC.
public struct ScoreIndex: Sendable, Equatable {
    public var score: Float
    public var index: Int32

    public init(score: Float, index: Int32) {
        self.score = score
        self.index = index
    }

    /// The entry of no target: score −∞, index −1 (loses to every real entry).
    public static var none: ScoreIndex { ScoreIndex(score: -.infinity, index: -1) }

    /// Whether `self` ranks before `other`: a larger score, or an equal score and a lower index
    /// (MPI_MAXLOC's rule, and the single-process kernel's tie break).
    @inline(__always)
    public func ranks(before other: ScoreIndex) -> Bool {
        score > other.score || (score == other.score && index < other.index)
    }

    /// MPI_MAXLOC of two entries: the larger score; on equal scores the lower index.
    @inline(__always)
    public static func maxLocation(_ a: ScoreIndex, _ b: ScoreIndex) -> ScoreIndex {
        if a.score > b.score { return a }
        if b.score > a.score { return b }
        return ScoreIndex(score: a.score, index: min(a.index, b.index))
    }
}

/// A point's two best targets and their scores, best first (16 bytes: four 4-byte fields, as the
/// MPI datatype of the top-two merge).
public struct TopTwo: Sendable, Equatable {
    public var bestScore: Float
    public var best: Int32
    public var secondScore: Float
    public var second: Int32

    public init(bestScore: Float, best: Int32, secondScore: Float, second: Int32) {
        self.bestScore = bestScore
        self.best = best
        self.secondScore = secondScore
        self.second = second
    }

    /// No targets: both slots empty (score −∞, index −1).
    public static var none: TopTwo { TopTwo(bestScore: -.infinity, best: -1, secondScore: -.infinity, second: -1) }

    public var first: ScoreIndex { ScoreIndex(score: bestScore, index: best) }
    public var runnerUp: ScoreIndex { ScoreIndex(score: secondScore, index: second) }

    public init(first: ScoreIndex, runnerUp: ScoreIndex) {
        self.init(bestScore: first.score, best: first.index, secondScore: runnerUp.score, second: runnerUp.index)
    }

    /// The two best of the union of two top-two lists drawn from disjoint sets of targets, under the
    /// order (score descending, index ascending). Commutative and associative, and it only selects
    /// (no arithmetic), so any reduction order gives the same bits.
    ///
    /// Empty slots (index −1, score −∞) rank last. - Precondition (not checked): the lists share no
    /// target (the ranks own disjoint slices).
    @inline(__always)
    public static func merge(_ a: TopTwo, _ b: TopTwo) -> TopTwo {
        let (x1, x2, y1, y2) = (a.first, a.runnerUp, b.first, b.runnerUp)
        if rank(x1, before: y1) {
            // x1 is first; second is the better of x2 and y1.
            return TopTwo(first: x1, runnerUp: rank(x2, before: y1) ? x2 : y1)
        } else {
            return TopTwo(first: y1, runnerUp: rank(x1, before: y2) ? x1 : y2)
        }
    }

    /// The order of `merge`, with empty slots (index −1) after every real entry.
    @inline(__always)
    static func rank(_ a: ScoreIndex, before b: ScoreIndex) -> Bool {
        if b.index < 0 { return a.index >= 0 }
        if a.index < 0 { return false }
        return a.ranks(before: b)
    }
}
