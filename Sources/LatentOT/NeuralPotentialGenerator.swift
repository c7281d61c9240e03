import Foundation
import TensorModule
import NeuralNet
import Transport
import Datasets

/// "Reading B" of the method (METHOD.md §4): a network D regressed onto the Kantorovich potentials
/// of exact mini-batch optimal transport between source points and codes; generation by the
/// gradient of D.
///
/// Each step draws B source points x_i ~ μ = uniform([−a, a]^d) and B codes y_j (a random subset,
/// without replacement when there are at least B codes), builds the cost
///
///   C_ij = K·|x_i − y_j|²/2,  K = 1/d by default,
///
/// and solves the B×B assignment problem exactly (`AssignmentSolver`, Hungarian): an optimal plan
/// between two uniform batches of equal size is a permutation σ, with dual potentials u (source) and v
/// (codes), u_i + v_j ≤ C_ij with equality on (i, σ(i)). The potentials are fixed up to
/// u + t, v − t; we centre the source side, u_i ← u_i − mean(u) (and v_j ← v_j + mean(u)), so the
/// regression target does not jump between batches. Then `regressionSteps` Adam steps minimise the
/// mean squared error (1/B) Σ (D(x_i) − u_i)².
///
/// The map. For a pair (x, y = T(x)) on the support of the optimal plan, x minimises
/// x' ↦ c(x', y) − φ(x') (because φ(x') + ψ(y) ≤ c(x', y) with equality at x' = x), so
/// ∇ₓc(x, y) = ∇φ(x), i.e. K(x − y) = ∇φ(x) and
///
///   T(x) = x − ∇φ(x)/K,
///
/// with φ the source potential (here u, regressed by D). METHOD.md writes T(x) = x + ∇D(x)/K: that is
/// the same map when D is fitted to −φ, the sign convention of a potential maximised rather than
/// bounded above by the cost. Check: for codes y = x + b (a translation), φ(x) = −K·b·x + const and
/// T(x) = x + b. ∇D(x) is D's input gradient: its backward pass with output gradient 1.
///
/// Not implemented: the gradient-norm term of METHOD.md §4 (pulling |∇D(x_j)| toward the transport
/// distance), which needs the derivative of ∇D with respect to the weights (second derivatives the
/// engine does not provide). The potentials alone already fix ∇D in the limit of many batches.
///
/// Codes are normalised first (`CodeNormalization`: their mean and one scale for all coordinates,
/// chosen by `codeScaling`) unless `normalizesCodes` is false; `sample` and `transport` return codes
/// in the original coordinates.
///
/// Being continuous (a smooth D), the map cannot tear the source apart between clusters: expect
/// samples between the modes of a mixture (mode mixture), the comparison with the OT map's cells.
///
/// Measured (2 cores, defaults: B = 64, 2000 steps of 5 regression steps, tanh MLP 3 × 128, ≈ 10–25 s):
/// a translation is recovered to ≈ 0.03 (d = 2) and ≈ 0.05 (d = 32) per coordinate of the mean
/// displacement; on eight Gaussians (std 0.02) only ≈ 0.5 % of samples lie within 3 std of a mode
/// (mode mixture), against ≈ 99 % for the semi-discrete map; on Fashion-MNIST codes (conv
/// autoencoder, d = 32) the decoded samples score a Fréchet distance of ≈ 12 in the classifier's
/// feature space, against ≈ 9.5 for a Gaussian fitted to the codes and ≈ 2.5 for decoded training codes.
public final class NeuralPotentialGenerator {
    public struct Configuration: Codable, Equatable, Sendable {
        /// Dimension d of the codes.
        public var dimension: Int
        /// Source points and codes per mini-batch (B).
        public var batchSize: Int
        /// K of the cost K·|x − y|²/2 (nil: 1/d).
        public var costScale: Double?
        public var hiddenWidth: Int
        public var hiddenLayers: Int
        public var activation: HiddenActivation
        /// Mini-batch OT problems solved.
        public var steps: Int
        /// Adam steps of the regression per mini-batch.
        public var regressionSteps: Int
        public var learningRate: Double
        /// Decay the learning rate along a cosine from `learningRate` to 0 over the steps: the
        /// regression targets are noisy (each batch's potentials), and a decaying rate averages
        /// them instead of tracking the last batches.
        public var cosineSchedule: Bool
        public var beta1: Double
        public var beta2: Double
        /// a of the source box [−a, a]^d.
        public var sourceHalfWidth: Double
        /// Whether `train` normalises the codes (and `sample` maps back).
        public var normalizesCodes: Bool
        /// How the normalisation's one scale is chosen (when `normalizesCodes`).
        public var codeScaling: CodeScaling
        /// Stop training after this many seconds even if `steps` are not done (nil: no limit). A
        /// safety net for slow machines: a run that stops by it depends on the machine's speed
        /// (`stoppedByTimeBudget` says so), one that stops by `steps` does not.
        public var timeBudget: Double?
        public var seed: UInt64

        public init(dimension: Int, batchSize: Int = 64, costScale: Double? = nil, hiddenWidth: Int = 128, hiddenLayers: Int = 3,
                    activation: HiddenActivation = .tanh, steps: Int = 2000, regressionSteps: Int = 5, learningRate: Double = 1e-3,
                    cosineSchedule: Bool = true, beta1: Double = 0.5, beta2: Double = 0.999, sourceHalfWidth: Double = 1, normalizesCodes: Bool = true,
                    codeScaling: CodeScaling = .matchedSpread, timeBudget: Double? = nil, seed: UInt64 = 0) {
            self.dimension = dimension
            self.batchSize = batchSize
            self.costScale = costScale
            self.hiddenWidth = hiddenWidth
            self.hiddenLayers = hiddenLayers
            self.activation = activation
            self.steps = steps
            self.regressionSteps = regressionSteps
            self.learningRate = learningRate
            self.cosineSchedule = cosineSchedule
            self.beta1 = beta1
            self.beta2 = beta2
            self.sourceHalfWidth = sourceHalfWidth
            self.normalizesCodes = normalizesCodes
            self.codeScaling = codeScaling
            self.timeBudget = timeBudget
            self.seed = seed
        }

        /// Throws `LatentOTError.invalidValue` naming the first field that cannot build a generator
        /// (a configuration read from a file is checked before the initialiser's preconditions).
        public func validate() throws {
            func check(_ isValid: Bool, _ field: String, _ expected: String, _ found: Any) throws {
                guard isValid else { throw LatentOTError.invalidValue(field: field, expected: expected, found: "\(found)") }
            }
            try check(dimension >= 1, "dimension", "≥ 1", dimension)
            try check(batchSize >= 2, "batchSize", "≥ 2", batchSize)
            try check(hiddenWidth >= 1, "hiddenWidth", "≥ 1", hiddenWidth)
            try check(hiddenLayers >= 0, "hiddenLayers", "≥ 0", hiddenLayers)
            try check(steps >= 0, "steps", "≥ 0", steps)
            try check(regressionSteps >= 1, "regressionSteps", "≥ 1", regressionSteps)
            try check(learningRate > 0 && learningRate.isFinite, "learningRate", "a finite number > 0", learningRate)
            try check(sourceHalfWidth > 0 && sourceHalfWidth.isFinite, "sourceHalfWidth", "a finite number > 0", sourceHalfWidth)
            try check(effectiveCostScale > 0 && effectiveCostScale.isFinite, "costScale", "a finite number > 0", effectiveCostScale)
            if let timeBudget { try check(timeBudget > 0 && timeBudget.isFinite, "timeBudget", "a finite number of seconds > 0", timeBudget) }
        }

        /// K: `costScale`, or 1/d.
        public var effectiveCostScale: Double { costScale ?? 1 / Double(dimension) }
    }

    /// The scale of the code normalisation (the centre is always the codes' mean).
    public enum CodeScaling: String, Codable, Sendable, CaseIterable {
        /// The largest absolute centred coordinate becomes the box's half width a (the semi-discrete
        /// solver's choice: every code inside the box).
        case maximum
        /// The root mean square of the centred coordinates becomes the source's, a/√3: codes and
        /// source have the same spread, so the map is a modest correction of the identity and the
        /// errors of ∇D (divided by K = 1/d) do not have to produce a strong contraction.
        case matchedSpread = "matched-spread"
    }

    /// One mini-batch problem and its regression.
    public struct StepRecord: Codable, Equatable, Sendable {
        /// 1-based step.
        public var step: Int
        /// Mean cost per matched pair, (1/B) Σ_i C[i, σ(i)].
        public var transportCost: Double
        /// Standard deviation of the centred source potentials u (the regression target's spread).
        public var potentialSpread: Double
        /// Mean squared error (1/B) Σ (D(x_i) − u_i)² before the first regression step of this batch:
        /// the error on a batch D has not been fitted to yet.
        public var regressionError: Double
    }

    public let configuration: Configuration
    let potentialNetwork: Perceptron
    public private(set) var normalization: CodeNormalization?
    public private(set) var step = 0
    public private(set) var records: [StepRecord] = []
    /// Whether the last `train` stopped by `configuration.timeBudget` before `steps`.
    public private(set) var stoppedByTimeBudget = false
    private var batchGenerator: SeededGenerator

    /// A generator with weights drawn from `configuration.seed`; `normalization` restores a trained
    /// one's (with its weights from `loadParameters`).
    public init(configuration: Configuration, normalization: CodeNormalization? = nil) {
        let c = configuration
        precondition(c.dimension >= 1 && c.batchSize >= 2 && c.hiddenWidth >= 1 && c.hiddenLayers >= 0,
                     "NeuralPotentialGenerator: invalid sizes \(c)")
        precondition(c.steps >= 0 && c.regressionSteps >= 1 && c.learningRate > 0 && c.sourceHalfWidth > 0
                     && c.effectiveCostScale > 0 && c.effectiveCostScale.isFinite,
                     "NeuralPotentialGenerator: invalid training settings \(c)")
        precondition(normalization == nil || normalization!.dimension == c.dimension,
                     "NeuralPotentialGenerator: normalisation of dimension \(normalization!.dimension) for codes of \(c.dimension)")
        self.configuration = configuration
        self.normalization = normalization
        potentialNetwork = Perceptron(inputSize: c.dimension, hiddenWidth: c.hiddenWidth, hiddenLayers: c.hiddenLayers,
                                      outputSize: 1, activation: c.activation, learningRate: c.learningRate,
                                      beta1: c.beta1, beta2: c.beta2, seed: ToyGAN.derivedSeed(c.seed, label: 0xB07))
        batchGenerator = SeededGenerator.stream(seed: c.seed, label: 0xB08)
    }

    public var dimension: Int { configuration.dimension }

    /// Trains on `codes` (flat row-major, rows of `dimension`) until `configuration.steps` steps are
    /// done. The normalisation is fitted on the first call and kept.
    /// - Throws: `TransportError` when the codes are empty, ragged or not finite.
    @discardableResult
    public func train(codes: [Float], progress: (StepRecord) -> Void = { _ in }) throws -> [StepRecord] {
        let d = dimension, b = configuration.batchSize, k = configuration.effectiveCostScale
        guard !codes.isEmpty, codes.count % d == 0 else {
            throw TransportError.invalidTargets(field: "codes", expected: "a non-empty multiple of dimension \(d) values",
                                                found: "\(codes.count) values")
        }
        if let bad = codes.firstIndex(where: { !$0.isFinite }) {
            throw TransportError.invalidTargets(field: "codes[\(bad / d)][\(bad % d)]", expected: "finite values", found: "\(codes[bad])")
        }
        if configuration.normalizesCodes && normalization == nil {
            normalization = try NeuralPotentialGenerator.normalization(codes, dimension: d, configuration: configuration)
        }
        let targets = normalization?.apply(codes) ?? codes
        let m = targets.count / d
        let clock = ContinuousClock(), start = clock.now
        stoppedByTimeBudget = false
        while step < configuration.steps {
            if let budget = configuration.timeBudget, clock.now - start >= .seconds(budget) {
                stoppedByTimeBudget = true
                break
            }
            let x = sourcePoints(count: b, using: &batchGenerator)
            let chosen = m >= b
                ? Array(Shuffle.permutation(count: m, using: &batchGenerator).prefix(b))
                : (0..<b).map { _ in Shuffle.uniformIndex(below: m, using: &batchGenerator) }
            var costs = [Double](repeating: 0, count: b * b)
            for i in 0..<b {
                for (j, row) in chosen.enumerated() {
                    var squared = 0.0
                    for t in 0..<d {
                        let difference = Double(x[i * d + t]) - Double(targets[row * d + t])
                        squared += difference * difference
                    }
                    costs[i * b + j] = k * squared / 2
                }
            }
            let solution = AssignmentSolver.solve(costs: costs, size: b)
            let mean = solution.rowPotentials.reduce(0, +) / Double(b)
            let centred = solution.rowPotentials.map { $0 - mean }
            let spread = (centred.reduce(0) { $0 + $1 * $1 } / Double(b)).squareRoot()
            let input = Tensor(shape: [b, d], scalars: x)
            let target = Tensor(shape: [b, 1], scalars: centred.map { Float($0) })
            var firstError = 0.0
            if configuration.cosineSchedule {
                potentialNetwork.optimizer.learningRate = CosineSchedule(initial: configuration.learningRate, totalSteps: configuration.steps)
                    .learningRate(at: step)
            }
            for inner in 0..<configuration.regressionSteps {
                potentialNetwork.zeroGradients()
                let value = potentialNetwork.forwardBackward(input) { Loss.meanSquaredError(predictions: $0, targets: target) }.value
                if inner == 0 { firstError = value }
                potentialNetwork.step()
            }
            step += 1
            let record = StepRecord(step: step, transportCost: solution.totalCost / Double(b), potentialSpread: spread,
                                    regressionError: firstError)
            records.append(record)
            progress(record)
        }
        return records
    }

    /// The normalisation of `configuration.codeScaling` fitted on `codes`.
    static func normalization(_ codes: [Float], dimension d: Int, configuration: Configuration) throws -> CodeNormalization {
        let fitted = try CodeNormalization(fitting: codes, dimension: d, halfWidth: configuration.sourceHalfWidth)
        switch configuration.codeScaling {
        case .maximum:
            return fitted
        case .matchedSpread:
            var squares = 0.0
            for (i, value) in codes.enumerated() {
                let deviation = Double(value) - fitted.centre[i % d]
                squares += deviation * deviation
            }
            let rms = (squares / Double(codes.count)).squareRoot()
            guard rms > 0 else { return fitted }
            return CodeNormalization(centre: fitted.centre, scale: rms / (configuration.sourceHalfWidth / 3.0.squareRoot()))
        }
    }

    /// `count` points uniform in the source box, flat [count × d].
    func sourcePoints(count: Int, using rng: inout some RandomNumberGenerator) -> [Float] {
        let a = Float(configuration.sourceHalfWidth)
        return (0..<(count * dimension)).map { _ in (rng.nextUnitFloat() * 2 - 1) * a }
    }

    /// D(x) at points of the source space (flat, rows of d, normalised coordinates).
    public func potential(_ points: [Float]) -> [Float] {
        let d = dimension
        precondition(points.count % d == 0, "NeuralPotentialGenerator.potential: \(points.count) values for rows of \(d)")
        guard !points.isEmpty else { return [] }
        return potentialNetwork.forward(Tensor(shape: [points.count / d, d], scalars: points)).scalars
    }

    /// ∇D(x) at points of the source space (flat, rows of d): D's backward pass with output gradient 1.
    public func potentialGradient(_ points: [Float]) -> [Float] {
        let d = dimension
        precondition(points.count % d == 0, "NeuralPotentialGenerator.potentialGradient: \(points.count) values for rows of \(d)")
        guard !points.isEmpty else { return [] }
        let n = points.count / d
        let gradient = potentialNetwork.forwardBackward(Tensor(shape: [n, d], scalars: points)) { output in
            (0, Tensor(repeating: 1, shape: output.shape))
        }.inputGradient
        potentialNetwork.zeroGradients()
        return gradient.scalars
    }

    /// T(x) = x − ∇D(x)/K in the normalised coordinates of the source box (flat, rows of d).
    public func normalisedMap(_ points: [Float]) -> [Float] {
        let gradient = potentialGradient(points)
        let k = Float(configuration.effectiveCostScale)
        return zip(points, gradient).map { $0 - $1 / k }
    }

    /// Codes for source points (flat, rows of d): T(x), mapped back to the codes' coordinates when
    /// they were normalised. Runs in blocks of `blockRows` points, so memory stays bounded for any count.
    public func transport(_ sourcePoints: [Float]) -> [Float] {
        let d = dimension
        precondition(sourcePoints.count % d == 0, "NeuralPotentialGenerator.transport: \(sourcePoints.count) values for rows of \(d)")
        var mapped: [Float] = []
        mapped.reserveCapacity(sourcePoints.count)
        for start in stride(from: 0, to: sourcePoints.count, by: Self.blockRows * d) {
            mapped += normalisedMap(Array(sourcePoints[start..<min(sourcePoints.count, start + Self.blockRows * d)]))
        }
        return normalization?.invert(mapped) ?? mapped
    }

    /// Points mapped per forward and backward pass in `transport`.
    static let blockRows = 4096

    // MARK: Parameters I/O

    /// The potential network's weights as a safetensors file (`__metadata__["format"]` =
    /// "latentot-neural-potential"); the configuration and normalisation are stored beside it
    /// (`NeuralPotentialFiles`).
    public func safetensorsData() -> Data {
        Safetensors.encode(tensors: potentialNetwork.store.namedTensors(), metadata: ["format": "latentot-neural-potential"])
    }

    /// Replaces the potential network's weights by those of a safetensors file, checking that the
    /// names are exactly the network's, every shape matches and every value is finite; nothing
    /// changes when an error is thrown.
    /// - Throws: `NeuralNetError` naming `source`, the tensor and what was expected.
    public func loadParameters(from data: Data, source: String) throws {
        try potentialNetwork.store.replaceAll(with: Safetensors.decode(data, source: source), source: source)
    }

    /// `count` codes T(x) for x uniform in the source box drawn from `rng`, flat [count × d], in the
    /// codes' coordinates.
    public func sample(count: Int, using rng: inout some RandomNumberGenerator) -> [Float] {
        precondition(count >= 0, "NeuralPotentialGenerator.sample: count must be ≥ 0, got \(count)")
        guard count > 0 else { return [] }
        return transport(sourcePoints(count: count, using: &rng))
    }
}
