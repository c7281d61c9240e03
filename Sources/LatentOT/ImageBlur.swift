import Foundation
import TensorModule

/// Blurs of image batches [n, c, h, w], for calibrating image metrics: a blurred copy of the real
/// test images is "almost right but soft", the typical failure of autoencoder decoders, so its
/// Fréchet distance shows the scale of the numbers.
///
/// Both blurs are separable (rows, then columns) and replicate the edge pixels outside the image
/// ("clamp to edge"), so a constant image stays constant and the mean brightness is nearly kept.
public enum ImageBlur {
    /// Gaussian blur with standard deviation `standardDeviation` pixels: kernel
    /// w_t ∝ exp(−t²/(2σ²)) for |t| ≤ ⌈3σ⌉, normalised to sum 1. σ = 0 returns the images unchanged.
    public static func gaussian(_ images: Tensor, standardDeviation: Double) -> Tensor {
        precondition(standardDeviation >= 0 && standardDeviation.isFinite,
                     "ImageBlur.gaussian: standardDeviation must be finite and ≥ 0, got \(standardDeviation)")
        guard standardDeviation > 0 else { return images }
        let radius = Int((3 * standardDeviation).rounded(.up))
        var weights = (-radius...radius).map { t in exp(-Double(t * t) / (2 * standardDeviation * standardDeviation)) }
        let total = weights.reduce(0, +)
        weights = weights.map { $0 / total }
        return separable(images, kernel: weights.map { Float($0) })
    }

    /// Box blur: the mean over the (2r + 1) × (2r + 1) square around each pixel. r = 0 returns the
    /// images unchanged.
    public static func box(_ images: Tensor, radius: Int) -> Tensor {
        precondition(radius >= 0, "ImageBlur.box: radius must be ≥ 0, got \(radius)")
        guard radius > 0 else { return images }
        return separable(images, kernel: [Float](repeating: 1 / Float(2 * radius + 1), count: 2 * radius + 1))
    }

    /// Convolves every plane with `kernel` (odd length, centred) along rows then columns, edges clamped.
    static func separable(_ images: Tensor, kernel: [Float]) -> Tensor {
        precondition(images.rank == 4, "ImageBlur: images \(images.shape), expected [n, c, h, w]")
        precondition(kernel.count % 2 == 1, "ImageBlur: kernel length \(kernel.count) must be odd")
        let planes = images.shape[0] * images.shape[1], h = images.shape[2], w = images.shape[3]
        let radius = kernel.count / 2
        var output = images
        output.scalars.withUnsafeMutableBufferPointer { out in
            images.scalars.withUnsafeBufferPointer { source in
                let outBase = out.baseAddress!, sourceBase = source.baseAddress!
                let ranges = Parallel.ranges(planes, maxChunks: Parallel.coreCount, minimumChunk: 16)
                Parallel.forEach(ranges.count) { chunk in
                    var rows = [Float](repeating: 0, count: h * w)
                    for p in ranges[chunk] {
                        let input = sourceBase + p * h * w, target = outBase + p * h * w
                        for y in 0..<h {
                            for x in 0..<w {
                                var sum: Float = 0
                                for t in -radius...radius {
                                    sum += kernel[t + radius] * input[y * w + min(w - 1, max(0, x + t))]
                                }
                                rows[y * w + x] = sum
                            }
                        }
                        for y in 0..<h {
                            for x in 0..<w {
                                var sum: Float = 0
                                for t in -radius...radius {
                                    sum += kernel[t + radius] * rows[min(h - 1, max(0, y + t)) * w + x]
                                }
                                target[y * w + x] = sum
                            }
                        }
                    }
                }
            }
        }
        return output
    }
}
