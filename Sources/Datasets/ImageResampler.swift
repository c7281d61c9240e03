import Foundation

/// Cropping, resizing and channel conversion of 8-bit images, to make every image of a folder the
/// same square size.
public enum ImageResampler {
    /// Luma weights of ITU-R BT.601 (as JPEG's Y and PIL's "L" conversion use).
    public static let lumaWeights: (red: Float, green: Float, blue: Float) = (0.299, 0.587, 0.114)

    /// Crops the centred square of an image and resizes it to `size` × `size`.
    ///
    /// The square's side is min(width, height), its offset ⌊(width − side) / 2⌋ (and likewise
    /// vertically). Shrinking averages areas exactly (each output pixel is the mean of the input
    /// area it covers, fractional pixels weighted by their overlap); enlarging is bilinear with
    /// pixel centres at half-integers. Channels: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA in; alpha is
    /// dropped, RGB becomes grey by BT.601 luma, grey becomes RGB by repetition.
    ///
    /// - Parameters:
    ///   - pixels: rows top to bottom, `channels` interleaved bytes per pixel.
    ///   - outputChannels: 1 (grey) or 3 (RGB).
    /// - Returns: `outputChannels × size × size` floats in [0, 1], channel-major (CHW).
    /// - Complexity: O(side² + side · size) per channel.
    public static func squareImage(pixels: [UInt8], width: Int, height: Int, channels: Int,
                                   size: Int, outputChannels: Int) -> [Float] {
        precondition(width > 0 && height > 0 && (1...4).contains(channels) && pixels.count == width * height * channels,
                     "ImageResampler: \(pixels.count) bytes for \(width) × \(height) × \(channels)")
        precondition(size > 0 && (outputChannels == 1 || outputChannels == 3),
                     "ImageResampler: size \(size) must be positive and outputChannels \(outputChannels) 1 or 3")
        let side = min(width, height)
        let left = (width - side) / 2, top = (height - side) / 2

        // The crop, converted to the output channels, as planes of side × side floats in [0, 1].
        var planes = [[Float]](repeating: [Float](repeating: 0, count: side * side), count: outputChannels)
        let colour = channels >= 3
        for y in 0..<side {
            for x in 0..<side {
                let offset = ((top + y) * width + left + x) * channels
                let target = y * side + x
                if colour {
                    let red = Float(pixels[offset]), green = Float(pixels[offset + 1]), blue = Float(pixels[offset + 2])
                    if outputChannels == 3 {
                        planes[0][target] = red / 255
                        planes[1][target] = green / 255
                        planes[2][target] = blue / 255
                    } else {
                        planes[0][target] = (lumaWeights.red * red + lumaWeights.green * green + lumaWeights.blue * blue) / 255
                    }
                } else {
                    let grey = Float(pixels[offset]) / 255
                    for channel in 0..<outputChannels { planes[channel][target] = grey }
                }
            }
        }

        let weights = axisWeights(inputLength: side, outputLength: size)
        var result = [Float](repeating: 0, count: outputChannels * size * size)
        var rows = [Float](repeating: 0, count: side * size) // side rows of `size` columns
        for channel in 0..<outputChannels {
            let plane = planes[channel]
            for y in 0..<side {
                for x in 0..<size {
                    var sum: Float = 0
                    for (index, weight) in weights[x] { sum += weight * plane[y * side + index] }
                    rows[y * size + x] = sum
                }
            }
            for y in 0..<size {
                for x in 0..<size {
                    var sum: Float = 0
                    for (index, weight) in weights[y] { sum += weight * rows[index * size + x] }
                    result[(channel * size + y) * size + x] = min(1, max(0, sum))
                }
            }
        }
        return result
    }

    /// For each output index, the input indices and weights (summing to 1) that make it.
    static func axisWeights(inputLength: Int, outputLength: Int) -> [[(Int, Float)]] {
        let scale = Double(inputLength) / Double(outputLength)
        if inputLength == outputLength {
            return (0..<outputLength).map { [($0, 1)] }
        }
        if inputLength > outputLength {
            // Area averaging: output o covers [o·scale, (o+1)·scale) of the input axis.
            return (0..<outputLength).map { output in
                let start = Double(output) * scale, end = Double(output + 1) * scale
                var contributions: [(Int, Float)] = []
                var index = Int(start.rounded(.down))
                while Double(index) < end && index < inputLength {
                    let overlap = min(end, Double(index + 1)) - max(start, Double(index))
                    if overlap > 1e-12 { contributions.append((index, Float(overlap / scale))) }
                    index += 1
                }
                return contributions
            }
        }
        // Bilinear: output centre o + 1/2 sits at input coordinate (o + 1/2)·scale − 1/2.
        return (0..<outputLength).map { output in
            let position = min(max((Double(output) + 0.5) * scale - 0.5, 0), Double(inputLength - 1))
            let lower = Int(position.rounded(.down))
            let fraction = Float(position - Double(lower))
            if lower + 1 >= inputLength || fraction == 0 { return [(lower, 1)] }
            return [(lower, 1 - fraction), (lower + 1, fraction)]
        }
    }
}
