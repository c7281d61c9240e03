import Foundation
import TensorModule
import Datasets
import ImageFormats

/// Loads a dataset given by name (`fashion-mnist`, `mnist`) or path (IDX folder, `.npy`/`.npz`,
/// folder of PNG/JPEG images), with PNG decoding wired in. Sources without a test split get one:
/// a seeded 10 % of the images (at least one), so test losses and metrics always exist.
///
/// `trainLimit` keeps the first N training images. With a limit, a held-out test set is also cut to
/// its first `heldOutTestCap(trainLimit:)` = max(N, 10,000) images (in file order), so a limited run
/// on a huge source does not carry a huge test set. An image folder is split on its sorted file
/// list before anything is decoded, and only the kept files are decoded: memory follows the limit,
/// not the folder's size. The images are the ones decoding the whole folder and then splitting
/// would give.
public enum DataLoading {
    /// The smallest test set a limited run keeps when the held-out part is larger.
    public static let minimumHeldOutTestCount = 10_000

    /// The most held-out test images kept for `trainLimit` (nil: no cap).
    public static func heldOutTestCap(trainLimit: Int?) -> Int? {
        trainLimit.map { max($0, minimumHeldOutTestCount) }
    }

    /// The seeded split of `count` images (for sources without a test split): a permutation drawn
    /// from `seed`, its first max(1, count / 10) as the test set, the rest for training, each in
    /// ascending order. Then the first `trainLimit` training indices and the first
    /// `heldOutTestCap(trainLimit:)` test indices are kept.
    public static func heldOutSplit(count: Int, seed: UInt64, trainLimit: Int? = nil) -> (train: [Int], test: [Int]) {
        precondition(count >= 2, "DataLoading.heldOutSplit: count must be at least 2, got \(count)")
        var rng = SeededGenerator.stream(seed: seed, label: 0x5E17)
        let order = Shuffle.permutation(count: count, using: &rng)
        let testCount = max(1, count / 10)
        var train = Array(order[testCount...]).sorted(), test = Array(order[..<testCount]).sorted()
        if let trainLimit { train = Array(train.prefix(max(0, trainLimit))) }
        if let cap = heldOutTestCap(trainLimit: trainLimit) { test = Array(test.prefix(cap)) }
        return (train, test)
    }

    /// Loads `nameOrPath` and its test split (see the type's notes for `trainLimit`).
    /// - Parameter pngDecoder: decodes PNG files of image folders (default: `PNG.decode`).
    public static func load(_ nameOrPath: String, imageSize: Int = 64, channels: Int = 3, seed: UInt64 = 0,
                            trainLimit: Int? = nil,
                            pngDecoder: @escaping PNGDecoder = DataLoading.pngDecoder) throws -> (train: ImageDataset, test: ImageDataset) {
        let source = try NamedDataset.resolve(nameOrPath)
        if case .imageFolder(let folder) = source {
            let loader = ImageFolderLoader(folder: folder, imageSize: imageSize, channels: channels, pngDecoder: pngDecoder)
            let listing = try loader.listImages()
            try checkSplittable(count: listing.files.count, nameOrPath: nameOrPath)
            let split = heldOutSplit(count: listing.files.count, seed: seed, trainLimit: trainLimit)
            return (try loader.load(listing, indices: split.train), try loader.load(listing, indices: split.test))
        }
        let splits = try source.load(imageSize: imageSize, channels: channels, pngDecoder: pngDecoder)
        var train = splits.train, test: ImageDataset
        if let given = splits.test, given.count > 0 {
            test = given
            if let trainLimit, trainLimit < train.count { train = train.prefix(max(0, trainLimit)) }
        } else {
            try checkSplittable(count: train.count, nameOrPath: nameOrPath)
            let split = heldOutSplit(count: train.count, seed: seed, trainLimit: trainLimit)
            (train, test) = (train.subset(split.train), train.subset(split.test))
        }
        return (train, test)
    }

    static func checkSplittable(count: Int, nameOrPath: String) throws {
        guard count >= 2 else {
            throw LatentOTError.invalidValue(field: "--data \(nameOrPath)", expected: "at least 2 images", found: "\(count)")
        }
    }

    /// `PNG.decode` in the shape the Datasets loaders take.
    public static let pngDecoder: PNGDecoder = { data, source in
        let image = try PNG.decode(data, source: source)
        return (image.width, image.height, image.channels, image.pixels)
    }
}
