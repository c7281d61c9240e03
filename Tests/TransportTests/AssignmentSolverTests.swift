import Testing
import TensorModule
import Transport

@Suite struct AssignmentSolverTests {
    /// All n! permutations, for brute force on small cases.
    func permutations(_ n: Int) -> [[Int]] {
        if n == 1 { return [[0]] }
        return permutations(n - 1).flatMap { p in (0...p.count).map { i in var q = p; q.insert(n - 1, at: i); return q } }
    }

    @Test(arguments: [1, 2, 3, 5, 7])
    func matchesBruteForceAndSatisfiesDuality(n: Int) {
        var rng = SeededGenerator(seed: UInt64(n))
        let costs = (0..<(n * n)).map { _ in Double(Int(rng.nextUnitDouble() * 10)) } // integer costs: ties happen
        let solution = AssignmentSolver.solve(costs: costs, size: n)
        let best = permutations(n).map { p in (0..<n).reduce(0.0) { $0 + costs[$1 * n + p[$1]] } }.min()!
        #expect(solution.totalCost == best)
        #expect(Set(solution.assignment).count == n)
        for i in 0..<n {
            for j in 0..<n {
                #expect(solution.rowPotentials[i] + solution.columnPotentials[j] <= costs[i * n + j] + 1e-9)
            }
            #expect(abs(solution.rowPotentials[i] + solution.columnPotentials[solution.assignment[i]] - costs[i * n + solution.assignment[i]]) < 1e-9)
        }
        // Strong duality: Σu + Σv equals the optimal cost.
        #expect(abs(solution.rowPotentials.reduce(0, +) + solution.columnPotentials.reduce(0, +) - best) < 1e-9)
    }

    /// Points on a line under squared distance: the optimal matching is monotone (sorted to sorted).
    @Test func sortedMatchingOnTheLine() {
        let x: [Double] = [0.3, -1, 2, 0.9], y: [Double] = [5, -2, 0, 1]
        let costs = x.flatMap { a in y.map { b in (a - b) * (a - b) } }
        let s = AssignmentSolver.solve(costs: costs, size: 4)
        #expect(s.assignment == [2, 1, 0, 3])
    }
}
