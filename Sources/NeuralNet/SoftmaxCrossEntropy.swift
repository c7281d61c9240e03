import Foundation
import TensorModule

extension Loss {
    /// Softmax cross-entropy from logits z [n, classCount] against integer labels, the mean over the batch:
    ///
    ///   ℓ_i = logsumexp(z_i) − z_{i, label_i},  logsumexp(z) = m + log Σ_c e^{z_c − m} with m = max_c z_c,
    ///   value = (1/n) Σ_i ℓ_i,  ∂value/∂z_{ic} = (softmax(z_i)_c − [c = label_i]) / n.
    ///
    /// Subtracting the row maximum keeps every exponent ≤ 0, so no logit overflows (stable for any z).
    /// Rows run in parallel and are summed in row order: deterministic.
    /// - Parameters:
    ///   - logits: row-major [batchSize, classCount].
    ///   - labels: `batchSize` class indices, each in 0..<classCount.
    ///   - gradient: when not nil, receives ∂value/∂logits (overwritten, same layout as `logits`).
    public static func softmaxCrossEntropy(logits: UnsafePointer<Float>, labels: UnsafePointer<Int>,
                                           batchSize n: Int, classCount: Int,
                                           gradient: UnsafeMutablePointer<Float>?) -> Double {
        precondition(n >= 1 && classCount >= 1, "Loss.softmaxCrossEntropy: batchSize \(n), classCount \(classCount)")
        let scale = 1 / Double(n)
        return perSample(n) { i in
            let z = logits + i * classCount
            let label = labels[i]
            precondition(label >= 0 && label < classCount, "Loss.softmaxCrossEntropy: label \(label) of row \(i) outside 0..<\(classCount)")
            var maximum = z[0]
            for c in 1..<max(1, classCount) where z[c] > maximum { maximum = z[c] }
            var total = 0.0
            for c in 0..<classCount { total += Foundation.exp(Double(z[c] - maximum)) }
            let logSum = Double(maximum) + Foundation.log(total)
            if let gradient {
                let g = gradient + i * classCount
                for c in 0..<classCount {
                    let probability = Foundation.exp(Double(z[c]) - logSum)
                    g[c] = Float((probability - (c == label ? 1 : 0)) * scale)
                }
            }
            return logSum - Double(z[label])
        } * scale
    }

    /// `softmaxCrossEntropy` on a tensor of logits [n, classCount]: (value, ∂value/∂logits).
    public static func softmaxCrossEntropy(logits: Tensor, labels: [Int]) -> (value: Double, gradient: Tensor) {
        precondition(logits.rank == 2 && logits.shape[0] == labels.count,
                     "Loss.softmaxCrossEntropy: logits \(logits.shape) for \(labels.count) labels, expected [\(labels.count), classes]")
        var gradient = Tensor(zeros: logits.shape)
        let value = gradient.scalars.withUnsafeMutableBufferPointer { g in
            labels.withUnsafeBufferPointer { l in
                softmaxCrossEntropy(logits: logits.scalars, labels: l.baseAddress!, batchSize: logits.shape[0],
                                    classCount: logits.shape[1], gradient: g.baseAddress)
            }
        }
        return (value, gradient)
    }

    /// Row-wise softmax probabilities of logits [n, classCount] (stable: the row maximum is subtracted).
    public static func softmax(_ logits: Tensor) -> Tensor {
        precondition(logits.rank == 2, "Loss.softmax: logits \(logits.shape), expected [n, classes]")
        let n = logits.shape[0], k = logits.shape[1]
        var out = logits
        for i in 0..<n {
            let row = i * k
            let maximum = logits.scalars[row..<(row + k)].max() ?? 0
            var total: Double = 0
            for c in 0..<k { total += Foundation.exp(Double(logits.scalars[row + c] - maximum)) }
            for c in 0..<k { out.scalars[row + c] = Float(Foundation.exp(Double(logits.scalars[row + c] - maximum)) / total) }
        }
        return out
    }
}
