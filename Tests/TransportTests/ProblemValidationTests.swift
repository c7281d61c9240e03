import Testing
import Transport

/// Bad input is refused with an error naming the field, what was expected and what was found.
@Suite struct ProblemValidationTests {
    private func expectError(_ body: () throws -> Void, _ check: (TransportError) -> Bool,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("expected a TransportError, none thrown", sourceLocation: sourceLocation)
        } catch let error as TransportError {
            #expect(check(error), "unexpected error: \(error)", sourceLocation: sourceLocation)
            #expect(!error.description.isEmpty, sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected a TransportError, got \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func emptyTargets() {
        expectError({ _ = try SemiDiscreteProblem(targets: [], dimension: 2) }) {
            if case .invalidTargets(let field, _, let found) = $0 { return field == "targets" && found.contains("empty") }
            return false
        }
    }

    @Test func targetsNotAMultipleOfTheDimension() {
        expectError({ _ = try SemiDiscreteProblem(targets: [1, 2, 3], dimension: 2) }) {
            if case .invalidTargets(_, let expected, let found) = $0 { return expected.contains("multiple") && found.contains("3") }
            return false
        }
    }

    @Test func nonFiniteTargetsNameTheEntry() {
        expectError({ _ = try SemiDiscreteProblem(targets: [0, 0, 1, .nan], dimension: 2) }) {
            if case .invalidTargets(let field, let expected, _) = $0 { return field == "targets[1][1]" && expected.contains("finite") }
            return false
        }
        expectError({ _ = try SemiDiscreteProblem(targets: [0, .infinity], dimension: 1) }) {
            if case .invalidTargets(let field, _, _) = $0 { return field == "targets[1][0]" }
            return false
        }
    }

    @Test func zeroDimension() {
        expectError({ _ = try SemiDiscreteProblem(targets: [1], dimension: 0) }) {
            if case .invalidDimension(let field, _, let found) = $0 { return field == "dimension" && found == "0" }
            return false
        }
    }

    @Test func repeatedTargets() {
        expectError({ _ = try SemiDiscreteProblem(targets: [0, 1, 2, 3, 0, 1], dimension: 2) }) {
            if case .invalidTargets(_, let expected, let found) = $0 { return expected.contains("distinct") && found.contains("0 and 2") }
            return false
        }
    }

    @Test func weightsOfTheWrongLength() {
        expectError({ _ = try SemiDiscreteProblem(targets: [0, 1, 2], dimension: 1, weights: [0.5, 0.5]) }) {
            if case .invalidWeights(let field, let expected, let found) = $0 {
                return field == "weights" && expected.contains("3") && found.contains("2")
            }
            return false
        }
    }

    @Test func negativeOrZeroWeights() {
        expectError({ _ = try SemiDiscreteProblem(targets: [0, 1], dimension: 1, weights: [1.2, -0.2]) }) {
            if case .invalidWeights(let field, _, let found) = $0 { return field == "weights[1]" && found == "-0.2" }
            return false
        }
        expectError({ _ = try SemiDiscreteProblem(targets: [0, 1], dimension: 1, weights: [1, 0]) }) {
            if case .invalidWeights(let field, _, _) = $0 { return field == "weights[1]" }
            return false
        }
    }

    @Test func weightsMustSumToOneWithinAMillionth() throws {
        expectError({ _ = try SemiDiscreteProblem(targets: [0, 1], dimension: 1, weights: [0.5, 0.6]) }) {
            if case .invalidWeights(_, let expected, let found) = $0 { return expected.contains("sum to 1") && found.contains("1.1") }
            return false
        }
        // Within 1e-6 is accepted and renormalised exactly.
        let problem = try SemiDiscreteProblem(targets: [0, 1], dimension: 1, weights: [0.3, 0.7 + 5e-7])
        #expect(abs(problem.targetWeights.reduce(0, +) - 1) < 1e-15)
    }

    @Test func nonFiniteWeights() {
        expectError({ _ = try SemiDiscreteProblem(targets: [0, 1], dimension: 1, weights: [.nan, 0.5]) }) {
            if case .invalidWeights(let field, let expected, _) = $0 { return field == "weights[0]" && expected.contains("finite") }
            return false
        }
    }

    @Test func badSourceBox() {
        expectError({ _ = try SemiDiscreteProblem(targets: [0, 1], dimension: 1, source: .uniformBox(halfWidth: 0)) }) {
            if case .invalidSource(let field, _, _) = $0 { return field == "source.halfWidth" }
            return false
        }
    }

    @Test func warmStartHeightsOfTheWrongLength() throws {
        let problem = try SemiDiscreteProblem(targets: [0, 1, 2], dimension: 1)
        expectError({ _ = try SemiDiscreteSolver().solve(problem, seed: 1, initialHeights: [0, 0]) }) {
            if case .invalidHeights(let field, _, let found) = $0 { return field == "initialHeights" && found.contains("2") }
            return false
        }
        expectError({ _ = try SemiDiscreteSolver().solve(problem, seed: 1, initialHeights: [0, .nan, 0]) }) {
            if case .invalidHeights(let field, _, _) = $0 { return field == "initialHeights[1]" }
            return false
        }
    }

    @Test func invalidSolverSettings() {
        var solver = SemiDiscreteSolver()
        solver.learningRate = -1
        expectError({ try solver.validate() }) {
            if case .invalidArgument(let field, _, _) = $0 { return field == "learningRate" }
            return false
        }
        #expect((try? SemiDiscreteSolver().validate()) != nil)
    }

    /// The fixed-set method's settings are checked and named like the others.
    @Test(arguments: [
        ("candidateCount", { (s: inout SemiDiscreteSolver) in s.candidateCount = 0 }),
        ("riserCount", { (s: inout SemiDiscreteSolver) in s.riserCount = -1 }),
        ("fixedSetInitialPointsPerCell", { (s: inout SemiDiscreteSolver) in s.fixedSetInitialPointsPerCell = 0 }),
        ("fixedSetGrowthFactor", { (s: inout SemiDiscreteSolver) in s.fixedSetGrowthFactor = 1 }),
        ("fixedSetFitFraction", { (s: inout SemiDiscreteSolver) in s.fixedSetFitFraction = 0 }),
        ("fixedSetLearningRate", { (s: inout SemiDiscreteSolver) in s.fixedSetLearningRate = .nan }),
        ("fixedSetMaximumPoints", { (s: inout SemiDiscreteSolver) in s.fixedSetMaximumPoints = 0 }),
        ("fixedSetMemoryLimit", { (s: inout SemiDiscreteSolver) in s.fixedSetMemoryLimit = 1000 }),
    ] as [(String, @Sendable (inout SemiDiscreteSolver) -> Void)])
    func invalidFixedSetSettings(field: String, spoil: @Sendable (inout SemiDiscreteSolver) -> Void) {
        var solver = SemiDiscreteSolver()
        spoil(&solver)
        expectError({ try solver.validate() }) {
            if case .invalidArgument(let name, _, _) = $0 { return name == field }
            return false
        }
    }

    @Test func validProblemKeepsItsData() throws {
        let problem = try SemiDiscreteProblem(targets: [0, 1, 2, 3], dimension: 2, weights: [0.25, 0.75])
        #expect(problem.targetCount == 2)
        #expect(problem.dimension == 2)
        #expect(problem.targetWeights == [0.25, 0.75])
        #expect(problem.source == .uniformBox(halfWidth: 1))
    }
}
