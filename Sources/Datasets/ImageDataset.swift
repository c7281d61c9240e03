import Foundation
import TensorModule

/// A set of images, NCHW `Float` in [0, 1], with optional class labels.
public struct ImageDataset: Equatable, Sendable {
    /// A label for logs and reports, e.g. "mnist-5k/train".
    public var name: String
    /// The images, shape [count, channels, height, width], every value in [0, 1].
    public private(set) var images: Tensor
    /// One class index per image, in 0..<classCount, or nil for unlabelled data.
    public private(set) var labels: [Int]?
    /// The number of classes, or nil for unlabelled data.
    public private(set) var classCount: Int?

    /// A dataset of `images` [n, c, h, w]. Labels, when given, must number n and lie in 0..<classCount.
    /// These are programmer errors (preconditions): loaders check files and throw before calling this.
    public init(name: String, images: Tensor, labels: [Int]? = nil, classCount: Int? = nil) {
        precondition(images.rank == 4, "ImageDataset: images must be [n, c, h, w], got \(images.shape)")
        precondition((labels == nil) == (classCount == nil),
                     "ImageDataset: give labels and classCount together (labels \(labels == nil ? "nil" : "set"), classCount \(classCount.map(String.init) ?? "nil"))")
        if let labels, let classCount {
            precondition(labels.count == images.shape[0],
                         "ImageDataset: \(labels.count) labels for \(images.shape[0]) images")
            precondition(labels.allSatisfy { $0 >= 0 && $0 < classCount },
                         "ImageDataset: labels must be in 0..<\(classCount), found \(labels.min() ?? 0)...\(labels.max() ?? 0)")
        }
        self.name = name
        self.images = images
        self.labels = labels
        self.classCount = classCount
    }

    /// The number of images.
    public var count: Int { images.shape[0] }
    /// Channels per image (1 grey, 3 RGB).
    public var channels: Int { images.shape[1] }
    /// Rows per image.
    public var height: Int { images.shape[2] }
    /// Columns per image.
    public var width: Int { images.shape[3] }
    /// [channels, height, width].
    public var imageShape: [Int] { Array(images.shape.dropFirst()) }
    /// Scalars per image: channels × height × width.
    public var imageSize: Int { channels * height * width }

    /// The images at `indices`, in that order, with their labels.
    public func subset(_ indices: [Int]) -> ImageDataset {
        ImageDataset(name: name, images: images.gatherRows(indices),
                     labels: labels.map { all in indices.map { all[$0] } }, classCount: classCount)
    }

    /// The first `count` images (all of them if there are fewer).
    public func prefix(_ count: Int) -> ImageDataset {
        subset(Array(0..<min(count, self.count)))
    }

    /// How many images each class has (nil for unlabelled data).
    public var classCounts: [Int]? {
        guard let labels, let classCount else { return nil }
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels { counts[label] += 1 }
        return counts
    }

    /// The images as rows of a matrix [count, channels × height × width] (for metrics and transport).
    public var flattenedImages: Tensor { images.reshaped([count, imageSize]) }

    /// One pass over the data in batches.
    ///
    /// With `shuffle`, the order is a Fisher–Yates permutation drawn from `generator` (see
    /// `Shuffle.permutation`), so the same generator state gives the same batches; call once per
    /// epoch with the same generator for a fresh order each epoch. The last batch is smaller when
    /// `batchSize` does not divide `count`, unless `dropLast` is set.
    public func batches(batchSize: Int, shuffle: Bool, dropLast: Bool = false,
                        using generator: inout some RandomNumberGenerator) -> ImageBatches {
        precondition(batchSize > 0, "ImageDataset.batches: batchSize must be positive, got \(batchSize)")
        let order = shuffle ? Shuffle.permutation(count: count, using: &generator) : Array(0..<count)
        return ImageBatches(dataset: self, order: order, batchSize: batchSize, dropLast: dropLast)
    }
}

/// Batches of an `ImageDataset`, gathered lazily as the sequence is walked.
public struct ImageBatches: Sequence, Sendable {
    /// One batch: images [batchCount, c, h, w], their labels, and their indices in the dataset.
    public struct Batch: Equatable, Sendable {
        public var images: Tensor
        public var labels: [Int]?
        public var indices: [Int]
    }

    public let dataset: ImageDataset
    /// The dataset indices in visiting order.
    public let order: [Int]
    public let batchSize: Int
    public let dropLast: Bool

    /// The number of batches.
    public var batchCount: Int { dropLast ? order.count / batchSize : (order.count + batchSize - 1) / batchSize }

    public func makeIterator() -> Iterator { Iterator(batches: self) }

    public struct Iterator: IteratorProtocol {
        let batches: ImageBatches
        var batchIndex = 0

        public mutating func next() -> Batch? {
            guard batchIndex < batches.batchCount else { return nil }
            let start = batchIndex * batches.batchSize
            let indices = Array(batches.order[start..<Swift.min(start + batches.batchSize, batches.order.count)])
            batchIndex += 1
            let labels = batches.dataset.labels.map { all in indices.map { all[$0] } }
            return Batch(images: batches.dataset.images.gatherRows(indices), labels: labels, indices: indices)
        }
    }
}

/// Deterministic shuffling: the same generator state gives the same order on every platform and
/// Swift version (unlike `Array.shuffled(using:)`, whose algorithm the standard library may change).
public enum Shuffle {
    /// A uniformly random integer in 0..<bound by Lemire's multiply-and-reject method.
    public static func uniformIndex(below bound: Int, using generator: inout some RandomNumberGenerator) -> Int {
        precondition(bound > 0, "Shuffle.uniformIndex: bound must be positive, got \(bound)")
        let range = UInt64(bound)
        var product = generator.next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = generator.next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// Shuffles `array` in place by Fisher–Yates (Durstenfeld's version, from the end).
    public static func shuffle<Element>(_ array: inout [Element], using generator: inout some RandomNumberGenerator) {
        guard array.count > 1 else { return }
        for last in stride(from: array.count - 1, to: 0, by: -1) {
            let other = uniformIndex(below: last + 1, using: &generator)
            if other != last { array.swapAt(last, other) }
        }
    }

    /// A random permutation of 0..<count.
    public static func permutation(count: Int, using generator: inout some RandomNumberGenerator) -> [Int] {
        var order = Array(0..<count)
        shuffle(&order, using: &generator)
        return order
    }
}

/// A train split and, when the source has one, a test split.
public struct DatasetSplits: Equatable, Sendable {
    public var train: ImageDataset
    public var test: ImageDataset?

    public init(train: ImageDataset, test: ImageDataset?) {
        self.train = train
        self.test = test
    }
}
