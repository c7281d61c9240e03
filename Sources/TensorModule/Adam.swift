/// Adam (Kingma & Ba 2015) on one flat parameter buffer, bias-corrected, with optional decoupled
/// weight decay (AdamW). State is kept in Double so long runs and checkpoints are exact.
///
///   m ← β1·m + (1-β1)·g,  v ← β2·v + (1-β2)·g²,  θ ← θ - lr·m̂/(√v̂ + ε) - lr·λ·θ,
///   with m̂ = m/(1-β1^t), v̂ = v/(1-β2^t).
public struct Adam: Codable, Equatable, Sendable {
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var weightDecay: Double
    /// `false` reproduces the reference AE-OT code's update (no bias correction); used by baselines only.
    public var biasCorrection: Bool
    public private(set) var step: Int = 0
    public private(set) var firstMoment: [Double]
    public private(set) var secondMoment: [Double]

    public init(parameterCount: Int, learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, weightDecay: Double = 0, biasCorrection: Bool = true) {
        precondition(parameterCount >= 0 && learningRate >= 0 && (0..<1).contains(beta1) && (0..<1).contains(beta2),
                     "Adam: invalid settings count=\(parameterCount) lr=\(learningRate) β=(\(beta1), \(beta2))")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.biasCorrection = biasCorrection
        firstMoment = [Double](repeating: 0, count: parameterCount)
        secondMoment = [Double](repeating: 0, count: parameterCount)
    }

    public var parameterCount: Int { firstMoment.count }

    /// One update of `parameters` (Float) from `gradient`.
    public mutating func update(_ parameters: inout [Float], gradient: [Float]) {
        precondition(parameters.count == parameterCount && gradient.count == parameterCount,
                     "Adam.update: \(parameters.count) parameters, \(gradient.count) gradients, state for \(parameterCount)")
        step += 1
        let (c1, c2) = corrections()
        let lr = learningRate, b1 = beta1, b2 = beta2, eps = epsilon, decay = weightDecay
        firstMoment.withUnsafeMutableBufferPointer { m in
            secondMoment.withUnsafeMutableBufferPointer { v in
                parameters.withUnsafeMutableBufferPointer { p in
                    gradient.withUnsafeBufferPointer { g in
                        for i in 0..<p.count {
                            let gi = Double(g[i])
                            m[i] = b1 * m[i] + (1 - b1) * gi
                            v[i] = b2 * v[i] + (1 - b2) * gi * gi
                            var value = Double(p[i])
                            value -= lr * (m[i] / c1) / ((v[i] / c2).squareRoot() + eps)
                            if decay != 0 { value -= lr * decay * Double(p[i]) }
                            p[i] = Float(value)
                        }
                    }
                }
            }
        }
    }

    /// One update of Double parameters (the transport heights). `stepScale` (optional, one factor per
    /// parameter) multiplies each parameter's step after the moments are updated.
    public mutating func update(_ parameters: inout [Double], gradient: [Double], stepScale: [Double]? = nil) {
        precondition(parameters.count == parameterCount && gradient.count == parameterCount,
                     "Adam.update: \(parameters.count) parameters, \(gradient.count) gradients, state for \(parameterCount)")
        precondition(stepScale == nil || stepScale!.count == parameterCount, "Adam.update: stepScale length")
        step += 1
        let (c1, c2) = corrections()
        for i in 0..<parameters.count {
            let gi = gradient[i]
            firstMoment[i] = beta1 * firstMoment[i] + (1 - beta1) * gi
            secondMoment[i] = beta2 * secondMoment[i] + (1 - beta2) * gi * gi
            let scale = stepScale?[i] ?? 1
            parameters[i] -= scale * learningRate * (firstMoment[i] / c1) / ((secondMoment[i] / c2).squareRoot() + epsilon)
            if weightDecay != 0 { parameters[i] -= learningRate * weightDecay * parameters[i] }
        }
    }

    private func corrections() -> (Double, Double) {
        guard biasCorrection else { return (1, 1) }
        return (1 - pow(beta1, Double(step)), 1 - pow(beta2, Double(step)))
    }

    private func pow(_ base: Double, _ exponent: Double) -> Double {
        var result = 1.0, b = base, e = Int(exponent)
        while e > 0 { if e & 1 == 1 { result *= b }; b *= b; e >>= 1 }
        return result
    }
}

/// Cosine learning-rate schedule: lr(t) = lrMin + (lr0 - lrMin)·(1 + cos(π t/T))/2.
public struct CosineSchedule: Codable, Equatable, Sendable {
    public var initial: Double
    public var minimum: Double
    public var totalSteps: Int
    public init(initial: Double, minimum: Double = 0, totalSteps: Int) {
        self.initial = initial; self.minimum = minimum; self.totalSteps = max(1, totalSteps)
    }
    public func learningRate(at step: Int) -> Double {
        let t = Double(min(max(step, 0), totalSteps)) / Double(totalSteps)
        return minimum + (initial - minimum) * (1 + _cos(Double.pi * t)) / 2
    }
}
