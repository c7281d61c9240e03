#if arch(x86_64) && canImport(_Builtin_intrinsics)
import _Builtin_intrinsics.intel
#endif

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
    ///
    /// Element-wise, so it runs in chunks on all cores (`Parallel`); every element sees the same
    /// operations in the same order whatever the chunking, so the result does not depend on the
    /// number of threads. - Complexity: O(parameterCount).
    public mutating func update(_ parameters: inout [Float], gradient: [Float]) {
        precondition(parameters.count == parameterCount && gradient.count == parameterCount,
                     "Adam.update: \(parameters.count) parameters, \(gradient.count) gradients, state for \(parameterCount)")
        step += 1
        let (c1, c2) = corrections()
        let settings = Adam.Step(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                                 weightDecay: weightDecay, correction1: c1, correction2: c2)
        let count = parameterCount
        firstMoment.withUnsafeMutableBufferPointer { m in
            secondMoment.withUnsafeMutableBufferPointer { v in
                parameters.withUnsafeMutableBufferPointer { p in
                    gradient.withUnsafeBufferPointer { g in
                        let m = m.baseAddress!, v = v.baseAddress!, p = p.baseAddress!, g = g.baseAddress!
                        // Chunks of at least 32,768 parameters (a chunk's moments are 512 KiB).
                        let ranges = Parallel.ranges(count, maxChunks: Parallel.coreCount, minimumChunk: 1 << 15)
                        if ranges.count <= 1 {
                            settings.apply(m, v, p, g, 0..<count)
                        } else {
                            Parallel.forEach(ranges.count) { settings.apply(m, v, p, g, ranges[$0]) }
                        }
                    }
                }
            }
        }
    }

    /// The constants of one Float update, and its element-wise kernel.
    struct Step {
        var learningRate, beta1, beta2, epsilon, weightDecay, correction1, correction2: Double

        /// m ← β1·m + (1-β1)·g, v ← β2·v + (1-β2)·g·g, θ ← θ - lr·(m/c1)/(√(v/c2) + ε) [- lr·λ·θ]
        /// on elements `range` (Double arithmetic, in this order for every element).
        ///
        /// Once β1^t is below half an ulp of 1 (t ≥ 350 for β1 = 0.9), c1 is exactly 1 and m/c1 = m
        /// exactly, so that division (one of the three per element; the divider bounds this loop)
        /// is skipped: the same bits.
        func apply(_ m: UnsafeMutablePointer<Double>, _ v: UnsafeMutablePointer<Double>,
                   _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ range: Range<Int>) {
            if correction1 == 1 {
                kernel(m, v, p, g, range, dividesFirstMoment: false)
            } else {
                kernel(m, v, p, g, range, dividesFirstMoment: true)
            }
        }

        @inline(__always)
        func kernel(_ m: UnsafeMutablePointer<Double>, _ v: UnsafeMutablePointer<Double>,
                    _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ range: Range<Int>,
                    dividesFirstMoment: Bool) {
            let lr = learningRate, b1 = beta1, b2 = beta2, eps = epsilon, c1 = correction1, c2 = correction2
            let a1 = 1 - b1, a2 = 1 - b2, lrDecay = learningRate * weightDecay
            // Four lanes at a time: IEEE division and square root are correctly rounded in every
            // lane, so the vector loop gives the scalar loop's bits.
            typealias D4 = SIMD4<Double>
            let b1v = D4(repeating: b1), b2v = D4(repeating: b2), a1v = D4(repeating: a1), a2v = D4(repeating: a2)
            let lrv = D4(repeating: lr), c1v = D4(repeating: c1), c2v = D4(repeating: c2), epsv = D4(repeating: eps)
            let decayv = D4(repeating: lrDecay), hasDecay = weightDecay != 0
            var i = range.lowerBound
            while i + 4 <= range.upperBound {
                let gi = D4(Double(g[i]), Double(g[i + 1]), Double(g[i + 2]), Double(g[i + 3]))
                let mi = b1v * UnsafeRawPointer(m + i).loadUnaligned(as: D4.self) + a1v * gi
                let vi = b2v * UnsafeRawPointer(v + i).loadUnaligned(as: D4.self) + a2v * gi * gi
                UnsafeMutableRawPointer(m + i).storeBytes(of: mi, as: D4.self)
                UnsafeMutableRawPointer(v + i).storeBytes(of: vi, as: D4.self)
                let old = D4(Double(p[i]), Double(p[i + 1]), Double(p[i + 2]), Double(p[i + 3]))
                let q = vi / c2v
                let root = D4(lowHalf: Adam.squareRoot(q.lowHalf), highHalf: Adam.squareRoot(q.highHalf))
                var value = old - lrv * (dividesFirstMoment ? mi / c1v : mi) / (root + epsv)
                if hasDecay { value -= decayv * old }
                p[i] = Float(value[0]); p[i + 1] = Float(value[1]); p[i + 2] = Float(value[2]); p[i + 3] = Float(value[3])
                i += 4
            }
            while i < range.upperBound {
                let gi = Double(g[i])
                let mi = b1 * m[i] + a1 * gi
                let vi = b2 * v[i] + a2 * gi * gi
                m[i] = mi
                v[i] = vi
                let old = Double(p[i])
                var value = old - lr * (mi / c1) / ((vi / c2).squareRoot() + eps)
                if hasDecay { value -= lrDecay * old }
                p[i] = Float(value)
                i += 1
            }
        }
    }

    /// √x in both lanes, correctly rounded (IEEE), as `Double.squareRoot()` gives per lane. On x86-64,
    /// SSE2's `sqrtpd`: Swift's `squareRoot()` goes through libm's `sqrt` (a branch for errno per
    /// lane), which keeps the loop above from vectorising.
    @inline(__always)
    static func squareRoot(_ x: SIMD2<Double>) -> SIMD2<Double> {
        #if arch(x86_64) && canImport(_Builtin_intrinsics)
        return _mm_sqrt_pd(x)
        #else
        return SIMD2(x[0].squareRoot(), x[1].squareRoot())
        #endif
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
