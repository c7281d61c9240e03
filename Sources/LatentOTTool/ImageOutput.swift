import Foundation
import TensorModule
import Datasets
import ImageFormats
import LatentOT

/// Writes generated or decoded images [n, c, h, w] in [0,1] in the format the file name asks for:
/// `.png` (a grid), `.idx`/`.idx3-ubyte` (uint8, n×h×w or n×h×w×c, 0 = background as in MNIST),
/// `.npy` (float32, n×c×h×w).
enum ImageOutput {
    static let extensions = [".png", ".idx", ".idx3-ubyte", ".npy"]

    static func validate(_ path: String) throws {
        guard extensions.contains(where: { path.lowercased().hasSuffix($0) }) else {
            throw LatentOTError.invalidValue(field: "--out \(path)", expected: "a name ending in \(extensions.joined(separator: ", "))",
                                             found: "'\(URL(fileURLWithPath: path).pathExtension)'")
        }
    }

    static func write(_ images: Tensor, to path: String, columns: Int? = nil) throws {
        try validate(path)
        precondition(images.rank == 4, "ImageOutput: images must be [n, c, h, w], got \(images.shape)")
        let lower = path.lowercased(), url = URL(fileURLWithPath: path)
        let data: Data
        if lower.hasSuffix(".png") {
            let n = images.shape[0]
            let columnCount = columns ?? max(1, Int(Double(n).squareRoot().rounded(.up)))
            data = try PNG.encode(ImageGrid.make(images: images, columns: columnCount))
        } else if lower.hasSuffix(".npy") {
            data = NumpyArray(shape: images.shape, floats: images.scalars).encode()
        } else {
            let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
            var bytes = [UInt8](repeating: 0, count: n * c * h * w)
            // Channels last, as image files and the IDX datasets store them.
            for i in 0..<n { for y in 0..<h { for x in 0..<w { for k in 0..<c {
                let value = images.scalars[((i * c + k) * h + y) * w + x]
                bytes[((i * h + y) * w + x) * c + k] = UInt8((min(max(value, 0), 1) * 255).rounded())
            } } } }
            data = IDXArray(dimensions: c == 1 ? [n, h, w] : [n, h, w, c], storage: .uint8(bytes)).encode()
        }
        try AtomicFile.write(data, to: url)
    }
}
