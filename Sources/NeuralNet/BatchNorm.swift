import Foundation
import TensorModule

/// Batch normalisation over axis 1 of [n, c] (after Dense) or [n, c, h, w] (after a convolution):
///   training:  x̂ = (x - μ_B)/√(σ²_B + ε), y = γ·x̂ + β, with μ_B, σ²_B (biased) over all axes but 1;
///              running ← (1 - momentum)·running + momentum·batch (the variance unbiased, as PyTorch).
///   inference: the same with the running mean and variance.
/// Parameters `weight` γ (init 1) and `bias` β (init 0); statistics `running_mean` (0), `running_var` (1).
/// Statistics are summed in Double, one channel per thread at a time: deterministic.
public final class BatchNorm: Layer {
    public let featureCount: Int
    public let momentum: Float
    public let epsilon: Float
    public private(set) var weightOffset = -1
    public private(set) var biasOffset = -1
    public private(set) var runningMeanOffset = -1
    public private(set) var runningVarianceOffset = -1
    private let output = Workspace()
    private let normalized = Workspace() // x̂
    private let inputGradient = Workspace()
    private var inverseStd: [Float] = []
    private var lastShape: [Int] = []
    private var lastMode: Mode = .training

    public init(featureCount: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        precondition(featureCount > 0, "BatchNorm: featureCount must be positive")
        self.featureCount = featureCount
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        precondition((inputShape.count == 2 || inputShape.count == 4) && inputShape[1] == featureCount,
                     "BatchNorm(\(featureCount)): input shape \(inputShape), expected [n, \(featureCount)] or [n, \(featureCount), h, w]")
        return inputShape
    }

    public func register<G: RandomNumberGenerator>(in store: ParameterStore, prefix: String, initialization: Initialization,
                                                   using generator: inout G) {
        let c = featureCount
        weightOffset = store.addParameter(name: prefix + "weight", shape: [c], values: [Float](repeating: 1, count: c))
        biasOffset = store.addParameter(name: prefix + "bias", shape: [c], values: [Float](repeating: 0, count: c))
        runningMeanOffset = store.addStatistic(name: prefix + "running_mean", shape: [c], values: [Float](repeating: 0, count: c))
        runningVarianceOffset = store.addStatistic(name: prefix + "running_var", shape: [c], values: [Float](repeating: 1, count: c))
    }

    /// Calls body(channelRange) over chunks of channels, all cores.
    private func channels(_ minimum: Int, _ body: (Range<Int>) -> Void) { parallelFor(featureCount, minimum: minimum, body) }

    public func forward(_ x: Activation, _ context: LayerContext) -> Activation {
        precondition(weightOffset >= 0, "BatchNorm: not registered in a ParameterStore")
        _ = outputShape(for: x.shape)
        let n = x.batchSize, C = featureCount, inner = x.shape.count == 4 ? x.shape[2] * x.shape[3] : 1
        let M = n * inner
        lastShape = x.shape
        lastMode = context.mode
        let y = output.activation(x.shape)
        let xh = normalized.activation(x.shape)
        if inverseStd.count != C { inverseStd = [Float](repeating: 0, count: C) }
        let gamma = context.parameters + weightOffset, beta = context.parameters + biasOffset
        let runningMean = context.statistics + runningMeanOffset, runningVariance = context.statistics + runningVarianceOffset
        let training = context.mode == .training
        precondition(!training || M > 1, "BatchNorm: training needs more than one value per channel, got shape \(x.shape)")
        let eps = epsilon, mom = momentum
        inverseStd.withUnsafeMutableBufferPointer { invStd in
            let invStd = invStd.baseAddress!
            // 1. Mean and variance per channel (batch statistics or running ones).
            channels(inner == 1 ? 64 : 1) { range in
                var mean = [Double](repeating: 0, count: range.count)
                var variance = [Double](repeating: 0, count: range.count)
                if training {
                    if inner == 1 {
                        for i in 0..<n {
                            let row = x.pointer + i * C
                            for c in range { mean[c - range.lowerBound] += Double(row[c]) }
                        }
                        for k in 0..<range.count { mean[k] /= Double(M) }
                        for i in 0..<n {
                            let row = x.pointer + i * C
                            for c in range { let d = Double(row[c]) - mean[c - range.lowerBound]; variance[c - range.lowerBound] += d * d }
                        }
                    } else {
                        for c in range {
                            var s = 0.0
                            for i in 0..<n { s += Double(vectorSum(x.pointer + (i * C + c) * inner, inner)) }
                            let m = s / Double(M)
                            var v = 0.0
                            let mf = Float(m)
                            for i in 0..<n { v += Double(vectorSquaredDeviation(x.pointer + (i * C + c) * inner, inner, mean: mf)) }
                            // Correct for the rounding of the mean to Float: Σ(x - m)² = Σ(x - mf)² - M(m - mf)².
                            let shift = m - Double(mf)
                            mean[c - range.lowerBound] = m
                            variance[c - range.lowerBound] = max(0, v - Double(M) * shift * shift)
                        }
                    }
                    for c in range {
                        let k = c - range.lowerBound
                        let biased = variance[k] / Double(M)
                        invStd[c] = Float(1 / (biased + Double(eps)).squareRoot())
                        runningMean[c] = (1 - mom) * runningMean[c] + mom * Float(mean[k])
                        runningVariance[c] = (1 - mom) * runningVariance[c] + mom * Float(variance[k] / Double(M - 1))
                    }
                } else {
                    for c in range {
                        mean[c - range.lowerBound] = Double(runningMean[c])
                        invStd[c] = Float(1 / (Double(runningVariance[c]) + Double(eps)).squareRoot())
                    }
                }
                // 2. Normalise.
                if inner == 1 {
                    for i in 0..<n {
                        let row = x.pointer + i * C, out = y.pointer + i * C, hat = xh.pointer + i * C
                        for c in range {
                            let h = (row[c] - Float(mean[c - range.lowerBound])) * invStd[c]
                            hat[c] = h
                            out[c] = gamma[c] * h + beta[c]
                        }
                    }
                } else {
                    for c in range {
                        let m = Float(mean[c - range.lowerBound]), s = invStd[c], g = gamma[c], b = beta[c]
                        for i in 0..<n {
                            let offset = (i * C + c) * inner
                            let p = x.pointer + offset, out = y.pointer + offset, hat = xh.pointer + offset
                            for j in 0..<inner {
                                let h = (p[j] - m) * s
                                hat[j] = h
                                out[j] = g * h + b
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    // backward (training): dγ += Σ dy·x̂, dβ += Σ dy, dx = γ/σ · (dy - Σdy/M - x̂·Σ(dy·x̂)/M)
    // backward (inference): the statistics are constants, dx = γ/σ · dy.
    public func backward(_ dy: Activation, _ context: LayerContext) -> Activation {
        precondition(dy.shape == lastShape, "BatchNorm.backward: gradient shape \(dy.shape), expected \(lastShape)")
        let n = dy.batchSize, C = featureCount, inner = dy.shape.count == 4 ? dy.shape[2] * dy.shape[3] : 1
        let M = Float(n * inner)
        let dx = inputGradient.activation(dy.shape)
        let xh = normalized.pointer
        let gamma = context.parameters + weightOffset
        let dGamma = context.gradients + weightOffset, dBeta = context.gradients + biasOffset
        let training = lastMode == .training
        let needsInput = context.needsInputGradient
        // In inference with no parameter gradients the sums are not needed: dx = γ/σ · dy.
        let needsSums = training || context.needsParameterGradients
        inverseStd.withUnsafeBufferPointer { invStd in
            let invStd = invStd.baseAddress!
            channels(inner == 1 ? 64 : 1) { range in
                var sumDy = [Double](repeating: 0, count: range.count)
                var sumDyXh = [Double](repeating: 0, count: range.count)
                if !needsSums {
                } else if inner == 1 {
                    for i in 0..<n {
                        let g = dy.pointer + i * C, h = xh + i * C
                        for c in range {
                            sumDy[c - range.lowerBound] += Double(g[c])
                            sumDyXh[c - range.lowerBound] += Double(g[c] * h[c])
                        }
                    }
                } else {
                    for c in range {
                        var a = 0.0, b = 0.0
                        for i in 0..<n {
                            let offset = (i * C + c) * inner
                            let (fa, fb) = vectorSumAndDot(dy.pointer + offset, xh + offset, inner)
                            a += Double(fa); b += Double(fb)
                        }
                        sumDy[c - range.lowerBound] = a
                        sumDyXh[c - range.lowerBound] = b
                    }
                }
                if context.needsParameterGradients {
                    for c in range {
                        dGamma[c] += Float(sumDyXh[c - range.lowerBound])
                        dBeta[c] += Float(sumDy[c - range.lowerBound])
                    }
                }
                guard needsInput else { return }
                if inner == 1 {
                    for i in 0..<n {
                        let g = dy.pointer + i * C, h = xh + i * C, out = dx.pointer + i * C
                        for c in range {
                            let k = c - range.lowerBound
                            let scale = gamma[c] * invStd[c]
                            out[c] = training
                                ? scale * (g[c] - Float(sumDy[k]) / M - h[c] * Float(sumDyXh[k]) / M)
                                : scale * g[c]
                        }
                    }
                } else {
                    for c in range {
                        let k = c - range.lowerBound
                        let scale = gamma[c] * invStd[c]
                        let meanDy = training ? Float(sumDy[k]) / M : 0
                        let meanDyXh = training ? Float(sumDyXh[k]) / M : 0
                        for i in 0..<n {
                            let offset = (i * C + c) * inner
                            let g = dy.pointer + offset, h = xh + offset, out = dx.pointer + offset
                            for j in 0..<inner { out[j] = scale * (g[j] - meanDy - h[j] * meanDyXh) }
                        }
                    }
                }
            }
        }
        return dx
    }
}

extension BatchNorm: StoredScalars {
    /// γ and β, running mean and variance: 4 per feature.
    public var storedScalarCount: Int { saturatingProduct(4, featureCount) }
}
