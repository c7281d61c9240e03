import Testing
import Foundation
import TensorModule
import Datasets
import ImageFormats
import LatentOT

/// `DataLoading.load` on image folders: the limit applies to the file list, so only the kept files
/// are decoded, and the datasets are exactly those of decoding the whole folder and then splitting.
@Suite struct DataLoadingTests {
    /// `count` small RGB PNG files of varied sizes (so cropping and resizing do something), named
    /// 0000.png …, in a new folder.
    static func writeFolder(_ count: Int, label: String) throws -> URL {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("latentot-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var rng = SeededGenerator(seed: 5)
        for index in 0..<count {
            let width = 6 + index % 5, height = 6 + index % 3
            let pixels = (0..<(width * height * 3)).map { _ in UInt8(truncatingIfNeeded: rng.next() >> 56) }
            try PNG.encode(RasterImage(width: width, height: height, channels: 3, pixels: pixels))
                .write(to: folder.appendingPathComponent(String(format: "%04d.png", index)))
        }
        return folder
    }

    /// What `DataLoading.load` gave before the limit moved ahead of decoding: decode every file,
    /// split with the seeded permutation, then keep the first `limit` training images.
    static func decodeAllThenSplit(_ folder: URL, imageSize: Int, channels: Int, seed: UInt64,
                                   limit: Int?) throws -> (train: ImageDataset, test: ImageDataset) {
        let all = try ImageFolderLoader(folder: folder, imageSize: imageSize, channels: channels,
                                        pngDecoder: DataLoading.pngDecoder).load()
        var rng = SeededGenerator.stream(seed: seed, label: 0x5E17)
        let order = Shuffle.permutation(count: all.count, using: &rng)
        let testCount = max(1, all.count / 10)
        var train = all.subset(Array(order[testCount...]).sorted())
        if let limit, limit < train.count { train = train.prefix(limit) }
        return (train, all.subset(Array(order[..<testCount]).sorted()))
    }

    @Test func limitedLoadingGivesTheImagesOfAFullDecode() throws {
        let folder = try Self.writeFolder(37, label: "split")
        defer { try? FileManager.default.removeItem(at: folder) }
        for (seed, limit, channels) in [(0, nil, 3), (0, 5, 3), (7, 12, 1), (7, 33, 3), (3, 1000, 3), (11, 2, 1)] as [(UInt64, Int?, Int)] {
            let expected = try Self.decodeAllThenSplit(folder, imageSize: 5, channels: channels, seed: seed, limit: limit)
            let found = try DataLoading.load(folder.path, imageSize: 5, channels: channels, seed: seed, trainLimit: limit)
            #expect(found.train == expected.train, "seed \(seed), limit \(String(describing: limit))")
            #expect(found.test == expected.test, "seed \(seed), limit \(String(describing: limit))")
            #expect(found.train.count == min(limit ?? 34, 34) && found.test.count == 3)
        }
    }

    /// 2,000 files, limit 100: 100 training and 200 test images are decoded, not 2,000.
    @Test func onlyTheKeptFilesAreDecoded() throws {
        let folder = try Self.writeFolder(2000, label: "decode-count")
        defer { try? FileManager.default.removeItem(at: folder) }
        let counter = CountingDecoder()
        let limited = try DataLoading.load(folder.path, imageSize: 8, channels: 3, seed: 1, trainLimit: 100,
                                           pngDecoder: counter.decode)
        #expect(limited.train.count == 100 && limited.test.count == 200)
        #expect(counter.count == 300)
        let whole = try DataLoading.load(folder.path, imageSize: 8, channels: 3, seed: 1, pngDecoder: counter.decode)
        #expect(whole.train.count == 1800 && whole.test.count == 200 && counter.count == 300 + 2000)
        #expect(limited.train == whole.train.prefix(100) && limited.test == whole.test)
    }

    /// The held-out test set is cut to max(limit, 10,000) only when a limit is given.
    @Test func heldOutTestSetIsCappedWithALimit() {
        #expect(DataLoading.heldOutTestCap(trainLimit: nil) == nil)
        #expect(DataLoading.heldOutTestCap(trainLimit: 5000) == 10_000)
        #expect(DataLoading.heldOutTestCap(trainLimit: 50_000) == 50_000)
        let full = DataLoading.heldOutSplit(count: 202_599, seed: 4)
        #expect(full.test.count == 20_259 && full.train.count == 182_340)
        #expect(Set(full.train).isDisjoint(with: full.test) && full.train == full.train.sorted())
        let limited = DataLoading.heldOutSplit(count: 202_599, seed: 4, trainLimit: 5000)
        #expect(limited.train == Array(full.train.prefix(5000)) && limited.test == Array(full.test.prefix(10_000)))
        let large = DataLoading.heldOutSplit(count: 202_599, seed: 4, trainLimit: 150_000)
        #expect(large.test == full.test && large.train.count == 150_000)
    }

    @Test func badFilesStillNameTheFile() throws {
        let folder = try Self.writeFolder(20, label: "bad")
        defer { try? FileManager.default.removeItem(at: folder) }
        // The last training file (for seed 0) is not an image.
        let badIndex = try #require(DataLoading.heldOutSplit(count: 20, seed: 0).train.last)
        let bad = folder.appendingPathComponent(String(format: "%04d.png", badIndex))
        try Data("GIF89a......".utf8).write(to: bad)
        #expect(throws: DatasetError.unsupportedImageFormat(file: bad.path, found: "47 49 46 38 39 61 2e 2e")) {
            try DataLoading.load(folder.path, imageSize: 4, channels: 3, seed: 0)
        }
        // A limit that leaves it out never opens it.
        let limited = try DataLoading.load(folder.path, imageSize: 4, channels: 3, seed: 0, trainLimit: 5)
        #expect(limited.train.count == 5 && limited.test.count == 2)
    }
}

/// `DataLoading.pngDecoder`, counting its calls (from any thread).
final class CountingDecoder: @unchecked Sendable {
    private let lock = NSLock()
    private var calls = 0
    var count: Int { lock.lock(); defer { lock.unlock() }; return calls }

    func decode(_ data: Data, source: String) throws -> DecodedPixels {
        lock.lock(); calls += 1; lock.unlock()
        return try DataLoading.pngDecoder(data, source)
    }
}
