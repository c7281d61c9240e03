import Foundation
import TensorModule
import Transport

/// The reference algorithm of the AE-OT authors' code (METHOD.md §2), implemented faithfully as the
/// baseline of case 2:
///
/// - source uniform on `[-1/2, 1/2]^d` by (unscrambled) Sobol points, the same first `N` points
///   every step;
/// - cell measures = argmax counts / N, from a full recomputation of the scores each step
///   (`BruteForceArgmax` with cache-sized tiles: plain sgemm + argmax, as fast as brute force gets here);
/// - gradient `g = counts/N - ν`; Adam without bias correction (`m ← .9m + .1g`,
///   `v ← .999v + .001g²`, `h ← h - lr·m/(√v + 1e-8)`), then `h ← h - mean(h)`;
/// - stop when `‖g‖₂ < 2e-3` or at 20,000 steps; the point count doubles after 30 steps without
///   improvement of `‖g‖₂`;
/// - heights start at 0.
///
/// The bench adds an oracle stop (an evaluation on fresh points, not timed), which can only make
/// the baseline look faster.
final class ReferenceSolver {
    struct Settings {
        var learningRate: Double
        var initialPoints: Int
        var maxSteps = 20_000
        var gradientTolerance = 2e-3
        var patience = 30
    }

    /// One step's figures.
    struct Step {
        var step: Int
        var points: Int
        var gradientNorm: Double
        var seconds: Double
    }

    let problem: SemiDiscreteProblem
    let settings: Settings
    private(set) var heights: [Double]
    private(set) var steps: [Step] = []
    private(set) var points: Int
    private var adam: Adam
    private var bestNorm = Double.infinity
    private var sinceImprovement = 0
    private var sourcePoints: [Float] = []
    private var brute: BruteForceArgmax
    private var best: [Int32]
    private var floatHeights: [Float]

    init(problem: SemiDiscreteProblem, settings: Settings) {
        self.problem = problem
        self.settings = settings
        heights = [Double](repeating: 0, count: problem.targetCount)
        floatHeights = [Float](repeating: 0, count: problem.targetCount)
        adam = Adam(parameterCount: problem.targetCount, learningRate: settings.learningRate,
                    beta1: 0.9, beta2: 0.999, epsilon: 1e-8, biasCorrection: false)
        points = settings.initialPoints
        brute = BruteForceArgmax(targets: problem.targets, dimension: problem.dimension, maximumPoints: points,
                                 layout: BruteForceArgmax.referenceLayout)
        best = [Int32](repeating: 0, count: points)
        sourcePoints = ReferenceSolver.firstSobolPoints(points, dimension: problem.dimension)
    }

    /// The first `count` unscrambled Sobol points mapped to `[-1/2, 1/2]^d`.
    static func firstSobolPoints(_ count: Int, dimension: Int) -> [Float] {
        BenchData.source.points(start: 0, count: count, dimension: dimension,
                                sequence: SobolSequence(dimension: dimension))
    }

    /// The total number of points counted so far, in units of the first step's count: the cost of
    /// the run in "first steps" (steps get dearer when the point count doubles).
    var stepEquivalents: Double {
        steps.reduce(0) { $0 + Double($1.points) } / Double(settings.initialPoints)
    }

    var hasStoppedOnGradient: Bool {
        guard let last = steps.last else { return false }
        return last.gradientNorm < settings.gradientTolerance
    }

    /// One step; returns false when the reference's own stopping rule holds (after the step).
    @discardableResult
    func step() -> Bool {
        let clock = ContinuousClock(), start = clock.now
        let count = points, m = problem.targetCount
        for i in 0..<m { floatHeights[i] = Float(heights[i]) }
        sourcePoints.withUnsafeBufferPointer { x in
            floatHeights.withUnsafeBufferPointer { h in
                best.withUnsafeMutableBufferPointer { b in
                    brute.argmax(points: x.baseAddress!, count: count, heights: h.baseAddress!, best: b.baseAddress!)
                }
            }
        }
        var counts = [Int](repeating: 0, count: m)
        for p in 0..<count { counts[Int(best[p])] += 1 }
        var gradient = [Double](repeating: 0, count: m)
        var squared = 0.0
        let weights = problem.targetWeights
        for i in 0..<m {
            gradient[i] = Double(counts[i]) / Double(count) - weights[i]
            squared += gradient[i] * gradient[i]
        }
        let norm = squared.squareRoot()
        adam.update(&heights, gradient: gradient)
        var mean = 0.0
        for h in heights { mean += h }
        mean /= Double(m)
        for i in 0..<m { heights[i] -= mean }

        if norm < bestNorm {
            bestNorm = norm
            sinceImprovement = 0
        } else {
            sinceImprovement += 1
        }
        let stepNumber = steps.count + 1
        if sinceImprovement >= settings.patience {
            sinceImprovement = 0
            grow(to: points * 2)
        }
        steps.append(Step(step: stepNumber, points: count, gradientNorm: norm,
                          seconds: Stopwatch.seconds(clock.now - start)))
        return norm >= settings.gradientTolerance && stepNumber < settings.maxSteps
    }

    /// Doubles the fixed point set (the same first points, plus the next ones).
    private func grow(to newCount: Int) {
        points = newCount
        sourcePoints = ReferenceSolver.firstSobolPoints(newCount, dimension: problem.dimension)
        brute = BruteForceArgmax(targets: problem.targets, dimension: problem.dimension, maximumPoints: newCount,
                                 layout: BruteForceArgmax.referenceLayout)
        best = [Int32](repeating: 0, count: newCount)
    }
}
