import Foundation
import TensorModule
import Datasets
import ImageFormats

/// Loads a dataset given by name (`fashion-mnist`, `mnist`) or path (IDX folder, `.npy`/`.npz`,
/// folder of PNG/JPEG images), with PNG decoding wired in. Sources without a test split get one:
/// a seeded 10 % of the images (at least one), so test losses and metrics always exist.
public enum DataLoading {
    public static func load(_ nameOrPath: String, imageSize: Int = 64, channels: Int = 3, seed: UInt64 = 0) throws -> (train: ImageDataset, test: ImageDataset) {
        let source = try NamedDataset.resolve(nameOrPath)
        let splits = try source.load(imageSize: imageSize, channels: channels, pngDecoder: pngDecoder)
        if let test = splits.test, test.count > 0 { return (splits.train, test) }
        let all = splits.train
        guard all.count >= 2 else {
            throw LatentOTError.invalidValue(field: "--data \(nameOrPath)", expected: "at least 2 images", found: "\(all.count)")
        }
        var rng = SeededGenerator.stream(seed: seed, label: 0x5E17)
        let order = Shuffle.permutation(count: all.count, using: &rng)
        let testCount = max(1, all.count / 10)
        return (all.subset(Array(order[testCount...]).sorted()), all.subset(Array(order[..<testCount]).sorted()))
    }

    /// `PNG.decode` in the shape the Datasets loaders take.
    public static let pngDecoder: PNGDecoder = { data, source in
        let image = try PNG.decode(data, source: source)
        return (image.width, image.height, image.channels, image.pixels)
    }
}
