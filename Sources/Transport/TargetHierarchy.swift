import TensorModule

/// A coarse-to-fine hierarchy of the targets for the multiscale solver (Mérigot 2011): each level
/// clusters the one below it by weighted k-means, `branching` children per parent on average, until
/// at most `branching` sites remain.
///
/// Level 0 is the coarsest; the last level is the problem's own targets. A parent's site is the
/// weighted mean of its children and its weight their sum, so every level is a valid
/// semi-discrete problem whose solution says how much source mass each group of targets gets.
struct TargetHierarchy {
    struct Level {
        /// Sites, row-major `count × d`.
        var sites: [Float]
        /// Weights, summing to 1.
        var weights: [Double]
        /// For each site, its parent in the previous (coarser) level; empty on level 0.
        var parent: [Int32]
        var count: Int { weights.count }
    }

    var levels: [Level]
    let dimension: Int

    /// - Parameters:
    ///   - iterations: Lloyd iterations per coarsening (assignment by `PowerCells`: nearest centre
    ///     `= argmax <y, c> - |c|²/2`).
    init(targets: [Float], weights: [Double], dimension: Int, branching: Int, iterations: Int = 6, seed: UInt64) {
        precondition(branching >= 2, "TargetHierarchy: branching must be ≥ 2, got \(branching)")
        self.dimension = dimension
        var built: [Level] = []
        var generator = SeededGenerator.stream(seed: seed, label: 3)
        var current = Level(sites: targets, weights: weights, parent: [])
        while current.count > branching {
            let clusterCount = (current.count + branching - 1) / branching
            let (centres, centreWeights, assignment) = TargetHierarchy.kMeans(
                sites: current.sites, weights: current.weights, dimension: dimension, clusterCount: clusterCount,
                iterations: iterations, generator: &generator)
            current.parent = assignment
            built.append(current)
            current = Level(sites: centres, weights: centreWeights, parent: [])
        }
        built.append(current)
        levels = built.reversed()
    }

    /// Weighted k-means from `clusterCount` distinct sites drawn without replacement; clusters that
    /// end empty are dropped. Returns centres, their weights and each site's cluster.
    static func kMeans(sites: [Float], weights: [Double], dimension d: Int, clusterCount: Int, iterations: Int,
                       generator: inout SeededGenerator) -> ([Float], [Double], [Int32]) {
        let count = weights.count
        // Initial centres: a seeded partial Fisher–Yates shuffle of the site indices.
        var order = Array(0..<count)
        for k in 0..<clusterCount {
            let j = k + Int(generator.next() % UInt64(count - k))
            order.swapAt(k, j)
        }
        var centres = [Float](repeating: 0, count: clusterCount * d)
        for k in 0..<clusterCount {
            for j in 0..<d { centres[k * d + j] = sites[order[k] * d + j] }
        }
        var assignment = [Int32](repeating: 0, count: count)
        var k = clusterCount
        for iteration in 0...iterations {
            // Assign: nearest centre = argmax <y, c> - |c|²/2.
            var heights = [Float](repeating: 0, count: k)
            for c in 0..<k {
                var squared: Float = 0
                for j in 0..<d { squared += centres[c * d + j] * centres[c * d + j] }
                heights[c] = -squared / 2
            }
            let cells = PowerCells(targets: centres, dimension: d)
            sites.withUnsafeBufferPointer { s in
                assignment.withUnsafeMutableBufferPointer { a in
                    cells.assign(points: s.baseAddress!, count: count, heights: heights, best: a.baseAddress!)
                }
            }
            // Update: weighted means; drop empty clusters (renumbering the assignment).
            var sums = [Double](repeating: 0, count: k * d)
            var mass = [Double](repeating: 0, count: k)
            for i in 0..<count {
                let c = Int(assignment[i]), w = weights[i]
                mass[c] += w
                for j in 0..<d { sums[c * d + j] += w * Double(sites[i * d + j]) }
            }
            var renumber = [Int32](repeating: -1, count: k)
            var kept = 0
            var newCentres: [Float] = []
            newCentres.reserveCapacity(k * d)
            for c in 0..<k where mass[c] > 0 {
                renumber[c] = Int32(kept); kept += 1
                for j in 0..<d { newCentres.append(Float(sums[c * d + j] / mass[c])) }
            }
            for i in 0..<count { assignment[i] = renumber[Int(assignment[i])] }
            centres = newCentres
            k = kept
            if iteration == iterations {
                return (centres, mass.filter { $0 > 0 }, assignment)
            }
        }
        fatalError("unreachable")
    }
}
