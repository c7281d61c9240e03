import Foundation
import TensorModule

/// Loss functions on batches [n, ...]: each returns the value (a Double) and writes dValue/dInput
/// (or adds it, for penalties). Reconstruction losses are summed over a sample's scalars and averaged
/// over the n samples, as the reference figures are (BCE summed over 784 pixels, mean over images).
/// Per-sample sums run in parallel and are combined in sample order: deterministic.
public enum Loss {
    /// Binary cross-entropy from logits z against targets t ∈ [0, 1], stable for any z:
    ///   ℓ(z, t) = max(z, 0) - z·t + log(1 + e^{-|z|})  (= -t·log σ(z) - (1-t)·log(1 - σ(z))),
    ///   value = (1/n) Σ_samples Σ_scalars ℓ,  ∂value/∂z = (σ(z) - t)/n.
    public static func binaryCrossEntropy(logits: UnsafePointer<Float>, targets: UnsafePointer<Float>,
                                          batchSize n: Int, sampleSize: Int,
                                          gradient: UnsafeMutablePointer<Float>?) -> Double {
        let scale = Float(1) / Float(n)
        return perSample(n) { i in
            let z = logits + i * sampleSize, t = targets + i * sampleSize
            var total: Float = 0
            if let gradient {
                let dz = gradient + i * sampleSize
                for j in 0..<sampleSize {
                    // e = e^{-|z|} serves both terms: σ(z) = 1/(1+e) for z ≥ 0, e/(1+e) otherwise,
                    // which is `sigmoid(z)` to the bit (one exp per scalar instead of two).
                    let zj = z[j], e = Foundation.exp(-abs(zj))
                    total += max(zj, 0) - zj * t[j] + Foundation.log1p(e)
                    let s = zj >= 0 ? 1 / (1 + e) : e / (1 + e)
                    dz[j] = (s - t[j]) * scale
                }
            } else {
                for j in 0..<sampleSize {
                    total += max(z[j], 0) - z[j] * t[j] + Foundation.log1p(Foundation.exp(-abs(z[j])))
                }
            }
            return Double(total)
        } / Double(n)
    }

    /// Squared error: value = (1/n) Σ_samples Σ_scalars (p - t)², ∂value/∂p = 2(p - t)/n.
    public static func meanSquaredError(predictions: UnsafePointer<Float>, targets: UnsafePointer<Float>,
                                        batchSize n: Int, sampleSize: Int,
                                        gradient: UnsafeMutablePointer<Float>?) -> Double {
        let scale = 2 / Float(n)
        return perSample(n) { i in
            let p = predictions + i * sampleSize, t = targets + i * sampleSize
            var total: Float = 0
            for j in 0..<sampleSize {
                let d = p[j] - t[j]
                total += d * d
                if let gradient { gradient[i * sampleSize + j] = d * scale }
            }
            return Double(total)
        } / Double(n)
    }

    /// L1 penalty on codes: value = weight·(1/n) Σ |z|; ADDS weight·sign(z)/n to `gradient`
    /// (sign(0) = 0).
    public static func l1Penalty(codes: UnsafePointer<Float>, batchSize n: Int, sampleSize: Int, weight: Double,
                                 addingGradientTo gradient: UnsafeMutablePointer<Float>?) -> Double {
        let scale = Float(weight / Double(n))
        return weight * perSample(n) { i in
            let z = codes + i * sampleSize
            var total: Float = 0
            for j in 0..<sampleSize {
                total += abs(z[j])
                if let gradient { gradient[i * sampleSize + j] += z[j] > 0 ? scale : (z[j] < 0 ? -scale : 0) }
            }
            return Double(total)
        } / Double(n)
    }

    /// KL(N(μ, e^{lv}) ‖ N(0, I)) = ½ Σ (μ² + e^{lv} - 1 - lv), averaged over the n samples, times `weight`;
    /// ADDS weight·μ/n and weight·½(e^{lv} - 1)/n to the gradients.
    public static func gaussianKL(mean: UnsafePointer<Float>, logVariance: UnsafePointer<Float>, batchSize n: Int,
                                  dimension: Int, weight: Double,
                                  addingMeanGradientTo meanGradient: UnsafeMutablePointer<Float>?,
                                  logVarianceGradientTo logVarianceGradient: UnsafeMutablePointer<Float>?,
                                  stride: Int? = nil) -> Double {
        let ld = stride ?? dimension
        let scale = Float(weight / Double(n))
        return weight * perSample(n) { i in
            let m = mean + i * ld, lv = logVariance + i * ld
            var total: Float = 0
            for j in 0..<dimension {
                let e = Foundation.exp(lv[j])
                total += 0.5 * (m[j] * m[j] + e - 1 - lv[j])
                if let meanGradient { meanGradient[i * ld + j] += scale * m[j] }
                if let logVarianceGradient { logVarianceGradient[i * ld + j] += scale * 0.5 * (e - 1) }
            }
            return Double(total)
        } / Double(n)
    }

    /// Σ_i term(i) over samples computed in parallel, summed in index order.
    static func perSample(_ n: Int, _ term: (Int) -> Double) -> Double {
        var sums = [Double](repeating: 0, count: n)
        sums.withUnsafeMutableBufferPointer { s in
            let s = s.baseAddress!
            parallelFor(n, minimum: 16) { range in for i in range { s[i] = term(i) } }
        }
        return sums.reduce(0, +)
    }

    // MARK: Tensor conveniences

    /// `binaryCrossEntropy` on tensors: (value, ∂value/∂logits).
    public static func binaryCrossEntropy(logits: Tensor, targets: Tensor) -> (value: Double, gradient: Tensor) {
        precondition(logits.shape == targets.shape && logits.rank >= 1, "Loss.binaryCrossEntropy: shapes \(logits.shape) and \(targets.shape)")
        var gradient = Tensor(zeros: logits.shape)
        let n = logits.shape[0], size = logits.count / max(1, n)
        let value = gradient.scalars.withUnsafeMutableBufferPointer { g in
            binaryCrossEntropy(logits: logits.scalars, targets: targets.scalars, batchSize: n, sampleSize: size, gradient: g.baseAddress)
        }
        return (value, gradient)
    }

    /// `meanSquaredError` on tensors: (value, ∂value/∂predictions).
    public static func meanSquaredError(predictions: Tensor, targets: Tensor) -> (value: Double, gradient: Tensor) {
        precondition(predictions.shape == targets.shape && predictions.rank >= 1, "Loss.meanSquaredError: shapes \(predictions.shape) and \(targets.shape)")
        var gradient = Tensor(zeros: predictions.shape)
        let n = predictions.shape[0], size = predictions.count / max(1, n)
        let value = gradient.scalars.withUnsafeMutableBufferPointer { g in
            meanSquaredError(predictions: predictions.scalars, targets: targets.scalars, batchSize: n, sampleSize: size, gradient: g.baseAddress)
        }
        return (value, gradient)
    }

    /// `l1Penalty` on a tensor: (value, ∂value/∂codes).
    public static func l1Penalty(codes: Tensor, weight: Double) -> (value: Double, gradient: Tensor) {
        var gradient = Tensor(zeros: codes.shape)
        let n = codes.shape[0], size = codes.count / max(1, n)
        let value = gradient.scalars.withUnsafeMutableBufferPointer { g in
            l1Penalty(codes: codes.scalars, batchSize: n, sampleSize: size, weight: weight, addingGradientTo: g.baseAddress)
        }
        return (value, gradient)
    }

    /// `gaussianKL` on tensors [n, d]: (value, ∂/∂mean, ∂/∂logVariance).
    public static func gaussianKL(mean: Tensor, logVariance: Tensor, weight: Double = 1)
        -> (value: Double, meanGradient: Tensor, logVarianceGradient: Tensor) {
        precondition(mean.shape == logVariance.shape && mean.rank == 2, "Loss.gaussianKL: shapes \(mean.shape) and \(logVariance.shape)")
        var gm = Tensor(zeros: mean.shape), gl = Tensor(zeros: mean.shape)
        let value = gm.scalars.withUnsafeMutableBufferPointer { a in
            gl.scalars.withUnsafeMutableBufferPointer { b in
                gaussianKL(mean: mean.scalars, logVariance: logVariance.scalars, batchSize: mean.shape[0],
                           dimension: mean.shape[1], weight: weight,
                           addingMeanGradientTo: a.baseAddress, logVarianceGradientTo: b.baseAddress)
            }
        }
        return (value, gm, gl)
    }
}
