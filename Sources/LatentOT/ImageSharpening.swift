import Foundation
import TensorModule

/// A sharpening stage after the decoder: the unsharp mask
///
///   x' = clamp(x + amount · (x − G_σ * x), 0, 1),
///
/// which adds back the detail a Gaussian of σ pixels would remove. Autoencoder decoders trained on
/// pixel likelihoods return the blurry mean of the plausible images; the mask restores edge contrast
/// at no training cost. It is applied to every image decoded from the map's codes (and the Gaussian
/// and neural-potential baselines, which share the decoder), never to real images.
public struct ImageSharpening: Codable, Equatable, Sendable {
    public var amount: Double
    /// σ of the Gaussian, in pixels.
    public var radius: Double

    public init(amount: Double, radius: Double = 1) {
        self.amount = amount
        self.radius = radius
    }

    /// Throws `LatentOTError.invalidValue` for a negative or non-finite amount or radius.
    public func validate() throws {
        guard amount >= 0 && amount.isFinite && amount <= 100 else {
            throw LatentOTError.invalidValue(field: "sharpening amount", expected: "a number in [0, 100]", found: "\(amount)")
        }
        guard radius > 0 && radius.isFinite && radius <= 16 else {
            throw LatentOTError.invalidValue(field: "sharpening radius", expected: "σ in (0, 16] pixels", found: "\(radius)")
        }
    }

    /// The sharpened images [n, c, h, w], values in [0, 1].
    public func apply(_ images: Tensor) -> Tensor {
        guard amount > 0 else { return images }
        let blurred = ImageBlur.gaussian(images, standardDeviation: radius)
        var result = images
        let a = Float(amount)
        for i in result.scalars.indices {
            let x = images.scalars[i]
            result.scalars[i] = min(1, max(0, x + a * (x - blurred.scalars[i])))
        }
        return result
    }
}
