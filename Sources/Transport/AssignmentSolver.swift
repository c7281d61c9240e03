/// Exact discrete optimal transport between two equal-size uniform point sets: with n sources and
/// n targets of mass 1/n, an optimal plan is a permutation (Birkhoff), found by the Hungarian
/// method with potentials (Kuhn–Munkres, shortest augmenting paths).
///
/// Minimises Σ_i C[i, σ(i)]. The dual potentials satisfy u_i + v_j ≤ C_ij for all i, j with
/// equality on the assignment (complementary slackness): they are the Kantorovich potentials of the
/// mini-batch problem, what the neural-potential generator regresses onto.
/// - Complexity: O(n³) time, O(n²) memory for the cost matrix.
public struct AssignmentSolution: Sendable, Equatable {
    /// `assignment[i]` is the target column matched to source row i.
    public var assignment: [Int]
    /// Row (source) potentials u.
    public var rowPotentials: [Double]
    /// Column (target) potentials v.
    public var columnPotentials: [Double]
    /// Σ_i C[i, assignment[i]].
    public var totalCost: Double
}

public enum AssignmentSolver {
    /// Solves the n×n assignment problem for a row-major cost matrix.
    public static func solve(costs: [Double], size n: Int) -> AssignmentSolution {
        precondition(n >= 1 && costs.count == n * n, "AssignmentSolver: \(costs.count) costs for \(n)×\(n)")
        precondition(costs.allSatisfy { $0.isFinite }, "AssignmentSolver: costs must be finite")
        // 1-based arrays with a virtual column 0, as in the classical formulation.
        var u = [Double](repeating: 0, count: n + 1), v = [Double](repeating: 0, count: n + 1)
        var matchedRow = [Int](repeating: 0, count: n + 1) // matchedRow[j] = row matched to column j
        var way = [Int](repeating: 0, count: n + 1)
        for row in 1...n {
            matchedRow[0] = row
            var column0 = 0
            var minimum = [Double](repeating: .infinity, count: n + 1)
            var used = [Bool](repeating: false, count: n + 1)
            repeat {
                used[column0] = true
                let i0 = matchedRow[column0]
                var delta = Double.infinity, column1 = 0
                for j in 1...n where !used[j] {
                    let reduced = costs[(i0 - 1) * n + (j - 1)] - u[i0] - v[j]
                    if reduced < minimum[j] { minimum[j] = reduced; way[j] = column0 }
                    if minimum[j] < delta { delta = minimum[j]; column1 = j }
                }
                for j in 0...n {
                    if used[j] { u[matchedRow[j]] += delta; v[j] -= delta } else { minimum[j] -= delta }
                }
                column0 = column1
            } while matchedRow[column0] != 0
            repeat {
                let column1 = way[column0]
                matchedRow[column0] = matchedRow[column1]
                column0 = column1
            } while column0 != 0
        }
        var assignment = [Int](repeating: 0, count: n)
        for j in 1...n { assignment[matchedRow[j] - 1] = j - 1 }
        let total = (0..<n).reduce(0.0) { $0 + costs[$1 * n + assignment[$1]] }
        return AssignmentSolution(assignment: assignment, rowPotentials: Array(u[1...]),
                                  columnPotentials: Array(v[1...]), totalCost: total)
    }
}
