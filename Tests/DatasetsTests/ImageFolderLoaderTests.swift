import Testing
import Foundation
import TensorModule
import Datasets

@Suite struct ImageResamplerTests {
    /// Shrinking 4 × 4 to 2 × 2 averages each 2 × 2 block exactly.
    @Test func areaAveragingIsExactOnBlocks() {
        let pixels: [UInt8] = [0, 10, 100, 100,
                               20, 30, 100, 100,
                               255, 255, 0, 0,
                               255, 255, 0, 50]
        let result = ImageResampler.squareImage(pixels: pixels, width: 4, height: 4, channels: 1, size: 2, outputChannels: 1)
        let expected: [Float] = [15, 100, 255, 12.5].map { $0 / 255 }
        #expect(zip(result, expected).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    /// Shrinking 3 → 2 gives the middle pixel half to each side: (a + b/2)/1.5 and (b/2 + c)/1.5.
    @Test func areaAveragingWeighsFractionalPixels() {
        let columns: [UInt8] = [0, 90, 180]
        let pixels = (0..<3).flatMap { _ in columns }
        let result = ImageResampler.squareImage(pixels: pixels, width: 3, height: 3, channels: 1, size: 2, outputChannels: 1)
        let expected: [Float] = [30, 150, 30, 150].map { $0 / 255 }
        #expect(zip(result, expected).allSatisfy { abs($0 - $1) < 1e-6 }, "\(result.map { $0 * 255 })")
    }

    /// A 6 × 4 image keeps its middle 4 × 4 (columns 1...4).
    @Test func cropKeepsTheCentredSquare() {
        let wide: [UInt8] = (0..<4).flatMap { _ in [200, 1, 2, 3, 4, 200] as [UInt8] }
        let result = ImageResampler.squareImage(pixels: wide, width: 6, height: 4, channels: 1, size: 4, outputChannels: 1)
        #expect(result == (0..<4).flatMap { _ in [1, 2, 3, 4].map { Float($0) / 255 } })
        // A tall 2 × 5 image keeps rows 1...2 (offset ⌊(5 − 2)/2⌋ = 1).
        let tall: [UInt8] = [9, 9, 1, 1, 2, 2, 9, 9, 9, 9]
        #expect(ImageResampler.squareImage(pixels: tall, width: 2, height: 5, channels: 1, size: 2, outputChannels: 1)
                == [1, 1, 2, 2].map { Float($0) / 255 })
    }

    /// Enlarging 2 → 4 is bilinear with half-pixel centres: a, a + (b − a)/4, a + 3(b − a)/4, b.
    @Test func enlargingIsBilinear() {
        let result = ImageResampler.squareImage(pixels: [0, 200, 0, 200], width: 2, height: 2, channels: 1, size: 4, outputChannels: 1)
        #expect(zip(result.prefix(4), [0, 50, 150, 200].map { Float($0) / 255 }).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func channelsConvertBothWays() {
        let rgb: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]
        let grey = ImageResampler.squareImage(pixels: rgb, width: 2, height: 2, channels: 3, size: 2, outputChannels: 1)
        let expected: [Float] = [0.299 * 255, 0.587 * 255, 0.114 * 255, 0.299 * 10 + 0.587 * 20 + 0.114 * 30].map { $0 / 255 }
        #expect(zip(grey, expected).allSatisfy { abs($0 - $1) < 1e-6 })
        let colour = ImageResampler.squareImage(pixels: [51], width: 1, height: 1, channels: 1, size: 1, outputChannels: 3)
        #expect(colour == [0.2, 0.2, 0.2])
        let rgba = ImageResampler.squareImage(pixels: [10, 20, 30, 0], width: 1, height: 1, channels: 4, size: 1, outputChannels: 3)
        #expect(rgba == [10, 20, 30].map { Float($0) / 255 })
    }
}

@Suite struct ImageFolderLoaderTests {
    /// An 8 × 4 grey image: left quarter 0, middle half 255, right quarter 0; its centred 4 × 4 crop is all white.
    static let banded: [UInt8] = (0..<4).flatMap { _ in [0, 0, 255, 255, 255, 255, 0, 0] as [UInt8] }

    @Test func loadsPNGsAndJPEGsInSortedOrder() throws {
        let folder = Fixtures.makeFolder("images")
        defer { Fixtures.removeFolder(folder) }
        _ = Fixtures.write(Fixtures.png(width: 8, height: 4, channels: 1, pixels: Self.banded), to: folder, "b.png")
        _ = Fixtures.write(Fixtures.jpeg(width: 4, height: 4, channels: 1, pixels: [UInt8](repeating: 128, count: 16)), to: folder, "a.JPG")
        let rgb = (0..<16).flatMap { _ in [255, 0, 0] as [UInt8] }
        _ = Fixtures.write(Fixtures.png(width: 4, height: 4, channels: 3, pixels: rgb), to: folder, "c.png")
        _ = Fixtures.write(Data("not an image".utf8), to: folder, "readme.txt")
        _ = Fixtures.write(Data("hidden".utf8), to: folder, ".d.png")

        let loader = ImageFolderLoader(folder: folder, imageSize: 2, channels: 1, pngDecoder: Fixtures.decodePNG)
        #expect(try loader.listImages().files.map(\.lastPathComponent) == ["a.JPG", "b.png", "c.png"])
        let dataset = try loader.load()
        #expect(dataset.images.shape == [3, 1, 2, 2])
        #expect(dataset.labels == nil && dataset.classCount == nil)
        let images = dataset.images.scalars
        #expect(images[0..<4].allSatisfy { abs($0 - 128.0 / 255) < 3.0 / 255 }) // JPEG grey, within compression error
        #expect(images[4..<8].allSatisfy { $0 == 1 })                          // the white centre of b.png
        #expect(images[8..<12].allSatisfy { abs($0 - 0.299) < 1e-5 })           // pure red as luma

        let colour = try ImageFolderLoader(folder: folder, imageSize: 4, channels: 3, pngDecoder: Fixtures.decodePNG).load()
        #expect(colour.images.shape == [3, 3, 4, 4])
        let red = colour.images.rows(2..<3).scalars
        #expect(red[0..<16].allSatisfy { $0 == 1 } && red[16..<48].allSatisfy { $0 == 0 })
        let limited = try ImageFolderLoader(folder: folder, imageSize: 2, channels: 1, pngDecoder: Fixtures.decodePNG, maxImageCount: 2).load()
        #expect(limited.count == 2)
    }

    @Test func classSubFoldersGiveLabels() throws {
        let folder = Fixtures.makeFolder("classes")
        defer { Fixtures.removeFolder(folder) }
        let black = Fixtures.jpeg(width: 4, height: 4, channels: 1, pixels: [UInt8](repeating: 0, count: 16))
        _ = Fixtures.write(black, to: folder, "dogs/1.jpg")
        _ = Fixtures.write(black, to: folder, "cats/2.jpeg")
        _ = Fixtures.write(black, to: folder, "cats/1.jpg")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("empty"), withIntermediateDirectories: true)
        let loader = ImageFolderLoader(folder: folder, imageSize: 4, channels: 1, pngDecoder: nil)
        let listing = try loader.listImages()
        #expect(listing.classNames == ["cats", "dogs"])
        #expect(listing.files.map { $0.pathComponents.suffix(2).joined(separator: "/") } == ["cats/1.jpg", "cats/2.jpeg", "dogs/1.jpg"])
        let dataset = try loader.load()
        #expect(dataset.labels == [0, 0, 1] && dataset.classCount == 2)
    }

    @Test func unreadableFilesNameTheFile() throws {
        let folder = Fixtures.makeFolder("bad-images")
        defer { Fixtures.removeFolder(folder) }
        let gif = Fixtures.write(Data("GIF89a......".utf8), to: folder, "x.png")
        let loader = ImageFolderLoader(folder: folder, imageSize: 2, channels: 1, pngDecoder: Fixtures.decodePNG)
        #expect(throws: DatasetError.unsupportedImageFormat(file: gif.path, found: "47 49 46 38 39 61 2e 2e")) { try loader.load() }

        try FileManager.default.removeItem(at: gif)
        let png = Fixtures.write(Fixtures.png(width: 2, height: 2, channels: 1, pixels: [1, 2, 3, 4]), to: folder, "p.png")
        let noDecoder = ImageFolderLoader(folder: folder, imageSize: 2, channels: 1, pngDecoder: nil)
        #expect(throws: DatasetError.missingDecoder(file: png.path, format: "PNG")) { try noDecoder.load() }

        // A decoder's own error is wrapped with the file's name; a DatasetError passes through.
        let failing = ImageFolderLoader(folder: folder, imageSize: 2, channels: 1,
                                        pngDecoder: { _, _ in throw Fixtures.PNGFixtureError(description: "bad filter") })
        #expect(throws: DatasetError.corruptImage(file: png.path, field: "PNG data", reason: "bad filter")) { try failing.load() }
        var damaged = try Data(contentsOf: png)
        damaged[41] ^= 0xFF // inside the IDAT stream
        try damaged.write(to: png)
        let passedThrough = #expect(throws: DatasetError.self) { try loader.load() }
        #expect(passedThrough?.file == png.path)

        // A PNG header claiming a gigapixel is refused before the decoder runs.
        var huge = Fixtures.png(width: 2, height: 2, channels: 1, pixels: [1, 2, 3, 4])
        huge.replaceSubrange(16..<24, with: Fixtures.bigEndian(40_000) + Fixtures.bigEndian(40_000))
        try huge.write(to: png)
        let hugeError = #expect(throws: DatasetError.self) { try loader.load() }
        #expect(hugeError?.description.contains("40000 × 40000 pixels") == true)

        try FileManager.default.removeItem(at: png)
        let jpeg = Fixtures.write(Fixtures.jpeg(width: 8, height: 8, channels: 1, pixels: [UInt8](repeating: 5, count: 64)).prefix(100), to: folder, "cut.jpg")
        let cut = #expect(throws: DatasetError.self) { try loader.load() }
        #expect(cut?.file == jpeg.path)

        try FileManager.default.removeItem(at: jpeg)
        #expect(throws: DatasetError.emptyFolder(folder: folder.path, expected: "PNG or JPEG images (.png, .jpg, .jpeg), or sub-folders of them, one per class")) {
            try loader.load()
        }
    }

    /// `load(_:indices:)` decodes only the chosen files, in the order given, with their labels, and
    /// gives the same floats as decoding the whole folder; with several bad files the error is the
    /// first one in that order, whatever the threads did.
    @Test func loadsAChosenSubsetInOrderAndOnlyThoseFiles() throws {
        let folder = Fixtures.makeFolder("subset")
        defer { Fixtures.removeFolder(folder) }
        for index in 0..<24 {
            let pixels = (0..<48).map { UInt8(truncatingIfNeeded: $0 * 5 + index * 11) }
            _ = Fixtures.write(Fixtures.png(width: 4, height: 4, channels: 3, pixels: pixels), to: folder,
                               "\(index % 2 == 0 ? "even" : "odd")/\(String(format: "%02d", index)).png")
        }
        let counter = DecodeCounter()
        let loader = ImageFolderLoader(folder: folder, imageSize: 4, channels: 3, pngDecoder: counter.decode)
        let listing = try loader.listImages()
        let all = try loader.load()
        #expect(counter.count == 24)
        let indices = [23, 0, 5, 12, 7]
        let subset = try loader.load(listing, indices: indices)
        #expect(counter.count == 24 + indices.count)
        #expect(subset == all.subset(indices))
        #expect(subset.labels == indices.map { $0 < 12 ? 0 : 1 } && subset.classCount == 2)
        #expect(try loader.load(listing, indices: []).count == 0)

        let bad = [3, 17].map { Fixtures.write(Data("GIF89a......".utf8), to: folder, listing.files[$0].pathComponents.suffix(2).joined(separator: "/")) }
        #expect(throws: DatasetError.unsupportedImageFormat(file: bad[0].path, found: "47 49 46 38 39 61 2e 2e")) { try loader.load() }
        #expect(throws: DatasetError.unsupportedImageFormat(file: bad[1].path, found: "47 49 46 38 39 61 2e 2e")) {
            try loader.load(listing, indices: [20, 17, 3])
        }
        #expect(try loader.load(listing, indices: [0, 1, 2]) == all.subset([0, 1, 2]), "the bad files are not read")
    }
}

/// A PNG decoder that counts its calls (from any thread).
final class DecodeCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var calls = 0
    var count: Int { lock.lock(); defer { lock.unlock() }; return calls }

    func decode(_ data: Data, source: String) throws -> DecodedPixels {
        lock.lock(); calls += 1; lock.unlock()
        return try Fixtures.decodePNG(data, source: source)
    }
}
