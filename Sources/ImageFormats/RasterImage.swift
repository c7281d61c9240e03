import TensorModule

/// An 8-bit image held in memory: `height` rows of `width` pixels, each pixel `channels` bytes
/// (1 = grey, 3 = red, green, blue), rows top to bottom, interleaved.
///
/// The one picture type of the module: PNG decodes to it and encodes from it, grids and plots
/// render into it, and `tensor()` turns it into the [c,h,w] floats the networks read.
public struct RasterImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// 1 (grey) or 3 (RGB).
    public let channels: Int
    /// `height·width·channels` bytes; the sample of channel `c` at column `x`, row `y` is at
    /// `(y·width + x)·channels + c`. Samples may be changed in place; the count may not.
    public var pixels: [UInt8] {
        didSet {
            precondition(pixels.count == width * height * channels,
                         "RasterImage: \(width)×\(height)×\(channels) needs \(width * height * channels) bytes, now \(pixels.count)")
        }
    }

    /// An image from its bytes; the sizes must agree (`pixels.count == width·height·channels`).
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0, "RasterImage: negative size \(width)×\(height)")
        precondition(channels == 1 || channels == 3, "RasterImage: channels must be 1 or 3, got \(channels)")
        precondition(pixels.count == width * height * channels,
                     "RasterImage: \(width)×\(height)×\(channels) needs \(width * height * channels) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// An image of one uniform value in every sample (e.g. 255 for white).
    public init(width: Int, height: Int, channels: Int, repeating value: UInt8) {
        self.init(width: width, height: height, channels: channels,
                  pixels: [UInt8](repeating: value, count: max(0, width) * max(0, height) * channels))
    }

    /// An image from a [c,h,w] tensor (c = 1 or 3) or a [h,w] tensor (grey) of values in [0,1]:
    /// each value is clamped to [0,1] and mapped to `round(255·v)`; NaN maps to 0.
    public init(tensor: Tensor) {
        let shape = tensor.shape
        precondition((shape.count == 3 && (shape[0] == 1 || shape[0] == 3)) || shape.count == 2,
                     "RasterImage(tensor:): expected [c,h,w] with c = 1 or 3, or [h,w]; got \(shape)")
        let c = shape.count == 3 ? shape[0] : 1
        let h = shape[shape.count - 2], w = shape[shape.count - 1]
        var bytes = [UInt8](repeating: 0, count: c * h * w)
        let plane = h * w
        tensor.scalars.withUnsafeBufferPointer { source in
            for channel in 0..<c {
                for index in 0..<plane {
                    bytes[index * c + channel] = RasterImage.byte(fromUnit: source[channel * plane + index])
                }
            }
        }
        self.init(width: w, height: h, channels: c, pixels: bytes)
    }

    /// The image as a [c,h,w] tensor with values `byte/255` in [0,1] (planar, as the networks read).
    public func tensor() -> Tensor {
        let plane = width * height
        var scalars = [Float](repeating: 0, count: channels * plane)
        for channel in 0..<channels {
            for index in 0..<plane {
                scalars[channel * plane + index] = Float(pixels[index * channels + channel]) / 255
            }
        }
        return Tensor(shape: [channels, height, width], scalars: scalars)
    }

    /// The `channels` samples of the pixel at column `x`, row `y` (0-based, top-left origin).
    public subscript(x: Int, y: Int) -> ArraySlice<UInt8> {
        precondition(x >= 0 && x < width && y >= 0 && y < height,
                     "RasterImage: pixel (\(x), \(y)) outside \(width)×\(height)")
        let start = (y * width + x) * channels
        return pixels[start..<(start + channels)]
    }

    /// The same picture with 1 or 3 channels: grey is copied into red, green and blue; colour is
    /// made grey with the Rec. 601 luma weights 0.299, 0.587, 0.114 (rounded).
    public func converted(toChannels target: Int) -> RasterImage {
        precondition(target == 1 || target == 3, "RasterImage.converted: channels must be 1 or 3, got \(target)")
        if target == channels { return self }
        let count = width * height
        var out = [UInt8](repeating: 0, count: count * target)
        if target == 3 {
            for index in 0..<count {
                let value = pixels[index]
                out[3 * index] = value; out[3 * index + 1] = value; out[3 * index + 2] = value
            }
        } else {
            for index in 0..<count {
                let luma = 0.299 * Double(pixels[3 * index]) + 0.587 * Double(pixels[3 * index + 1])
                    + 0.114 * Double(pixels[3 * index + 2])
                out[index] = UInt8(min(255, luma.rounded()))
            }
        }
        return RasterImage(width: width, height: height, channels: target, pixels: out)
    }

    /// `round(255·clamp(v, 0, 1))`, with NaN → 0.
    @inline(__always)
    static func byte(fromUnit value: Float) -> UInt8 {
        guard value > 0 else { return 0 }          // also catches NaN
        guard value < 1 else { return 255 }
        return UInt8((value * 255).rounded())
    }
}
