import TensorModule

/// Feature matching through a frozen classifier φ (its penultimate layer, inference mode):
///
///   ℓ = w · (1/n) Σ_i ‖φ(σ(z_i)) − φ(x_i)‖²,   ∂ℓ/∂z = σ'(z) ⊙ J_φᵀ · 2w(φ(σ(z)) − φ(x))/n,
///
/// for decoder logits z and target images x. A term of the autoencoder's loss beside the pixel
/// BCE: BCE alone is minimised by the blurry mean of the plausible images, which a classifier's
/// features tell apart from real ones; matching them pulls reconstructions toward sharp edges and
/// textures. The network here must not be the one that evaluates the samples (`EvaluationClassifier`).
public final class PerceptualLoss {
    public let network: FeatureClassifier
    public let weight: Double
    /// Only the first `imageCount` images of a batch enter the term (the mean over them estimates the
    /// batch mean without bias, batches being shuffled); nil: all. The network's passes cost about as
    /// much as the autoencoder's, so a quarter of the batch keeps the term's cost small.
    public let imageCount: Int?
    private let targetFeatures = Workspace(), featureGradient = Workspace(), probabilities = Workspace()
    private let missingTargets = Workspace()
    /// φ(x) of remembered targets, [count, featureCount], found by a 64-bit hash of their pixels.
    private var knownFeatures: [Float] = []
    private var knownRows: [UInt64: Int] = [:]

    public init(network: FeatureClassifier, weight: Double, imageCount: Int? = nil) {
        precondition(weight >= 0 && weight.isFinite, "PerceptualLoss: weight \(weight) must be finite and ≥ 0")
        precondition(imageCount.map { $0 >= 1 } ?? true, "PerceptualLoss: imageCount must be ≥ 1")
        self.network = network
        self.weight = weight
        self.imageCount = imageCount
    }

    /// Computes φ(x) once for `images` (the training set: before training, and again on resume, in
    /// the same fixed batches, so the values do not depend on where a run was interrupted); each step
    /// then skips the targets' forward pass. Targets not remembered are computed as before.
    /// (Two different images with the same 64-bit hash would share features: odds ~ n²/2⁶⁵.)
    public func rememberTargets(_ images: Tensor) {
        precondition(Array(images.shape.dropFirst()) == network.imageShape,
                     "PerceptualLoss.rememberTargets: images \(images.shape), expected [n] + \(network.imageShape)")
        let features = network.features(images)
        let size = images.count / max(1, images.shape[0])
        knownFeatures = features.scalars
        knownRows = [:]
        images.scalars.withUnsafeBufferPointer { pixels in
            for i in 0..<images.shape[0] where knownRows[PerceptualLoss.hash(pixels.baseAddress! + i * size, size)] == nil {
                knownRows[PerceptualLoss.hash(pixels.baseAddress! + i * size, size)] = i
            }
        }
    }

    /// FNV-1a over the pixels' bit patterns.
    static func hash(_ pixels: UnsafePointer<Float>, _ count: Int) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        for j in 0..<count { h = (h ^ UInt64(pixels[j].bitPattern)) &* 0x100000001b3 }
        return h
    }

    /// The loss of logits [n, c, h, w] against targets of the same shape (over the first
    /// min(n, imageCount) images); ADDS ∂ℓ/∂z to `logitGradient` when given.
    public func value(logits all: Activation, targets: UnsafePointer<Float>, addingGradientTo logitGradient: UnsafeMutablePointer<Float>?) -> Double {
        precondition(Array(all.shape.dropFirst()) == network.imageShape,
                     "PerceptualLoss: logits \(all.shape), expected [n] + \(network.imageShape)")
        let n = min(all.batchSize, imageCount ?? all.batchSize), size = all.sampleSize, f = network.featureCount
        let logits = Activation(shape: [n] + Array(all.shape.dropFirst()), pointer: all.pointer)
        let p = probabilities.activation(logits.shape)
        for j in 0..<logits.count { p.pointer[j] = sigmoid(logits.pointer[j]) }
        return network.store.withContext(.inference) { frozen -> Double in
            var context = frozen
            context.needsParameterGradients = false
            let fx = targetFeatures.activation([n, f])
            var missing: [Int] = []
            for i in 0..<n {
                if let row = knownRows[PerceptualLoss.hash(targets + i * size, size)] {
                    for k in 0..<f { fx.pointer[i * f + k] = knownFeatures[row * f + k] }
                } else {
                    missing.append(i)
                }
            }
            if !missing.isEmpty {
                let x = missingTargets.activation([missing.count] + Array(logits.shape.dropFirst()))
                for (k, i) in missing.enumerated() { (x.pointer + k * size).update(from: targets + i * size, count: size) }
                let computed = network.body.forward(x, context).pointer
                for (k, i) in missing.enumerated() { (fx.pointer + i * f).update(from: computed + k * f, count: f) }
            }
            let fp = network.body.forward(p, context)
            let g = featureGradient.activation([n, f])
            let scale = Float(2 * weight / Double(n))
            var total = 0.0
            for i in 0..<n {
                var row: Float = 0
                for k in 0..<f {
                    let d = fp.pointer[i * f + k] - fx.pointer[i * f + k]
                    row += d * d
                    g.pointer[i * f + k] = d * scale
                }
                total += Double(row)
            }
            if let logitGradient {
                let dp = network.body.backward(g, context)
                for j in 0..<(n * size) {
                    let s = p.pointer[j]
                    logitGradient[j] += dp.pointer[j] * s * (1 - s)
                }
            }
            return weight * total / Double(n)
        }
    }
}
