import Foundation
import TensorModule

/// Decoded 8-bit pixels: rows top to bottom, `channels` interleaved bytes per pixel
/// (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA).
public typealias DecodedPixels = (width: Int, height: Int, channels: Int, pixels: [UInt8])

/// A PNG decoder: the file's bytes and its name (for error messages) to 8-bit pixels.
/// ImageFormats provides one (`PNG.decode`); this target takes it as a value so it does not
/// depend on that module's API.
public typealias PNGDecoder = (_ data: Data, _ source: String) throws -> DecodedPixels

/// Loads a folder of PNG and JPEG images as one `ImageDataset` of square images.
///
/// - Files: `.png`, `.jpg` and `.jpeg` (any case), in sorted name order so every run sees the same
///   order. The format is told by the leading bytes, not the name. Hidden files are skipped.
/// - Classes: when the folder holds no images itself but sub-folders of images, each sub-folder
///   is a class (sorted by name, as torchvision's ImageFolder) and the dataset is labelled.
/// - Each image is centre-cropped to a square and resized to `imageSize` × `imageSize`
///   (`ImageResampler.squareImage`), in grey or RGB as `channels` says.
public struct ImageFolderLoader {
    /// The files found and, for class sub-folders, their labels.
    public struct Listing: Equatable, Sendable {
        public var files: [URL]
        /// The class index of each file, or nil when the images are not in class sub-folders.
        public var labels: [Int]?
        /// The sub-folder name of each class, or nil.
        public var classNames: [String]?
    }

    /// The image extensions looked at (lowercase).
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    public var folder: URL
    /// The side of the square output images.
    public var imageSize: Int
    /// 1 (grey) or 3 (RGB).
    public var channels: Int
    /// Decodes PNG files; nil makes a PNG file an error (`DatasetError.missingDecoder`).
    public var pngDecoder: PNGDecoder?
    /// Load at most this many images (the first in sorted order), or all when nil.
    public var maxImageCount: Int?
    /// The largest width × height accepted, checked from the file header before decoding.
    public var maxPixelCount: Int
    /// The dataset's name (default: the folder's name).
    public var name: String

    public init(folder: URL, imageSize: Int, channels: Int, pngDecoder: PNGDecoder?,
                maxImageCount: Int? = nil, maxPixelCount: Int = 1 << 26, name: String? = nil) {
        precondition(imageSize > 0, "ImageFolderLoader: imageSize must be positive, got \(imageSize)")
        precondition(channels == 1 || channels == 3, "ImageFolderLoader: channels must be 1 or 3, got \(channels)")
        self.folder = folder
        self.imageSize = imageSize
        self.channels = channels
        self.pngDecoder = pngDecoder
        self.maxImageCount = maxImageCount
        self.maxPixelCount = maxPixelCount
        self.name = name ?? folder.standardizedFileURL.lastPathComponent
    }

    /// Whether a file name has an image extension and is not hidden.
    public static func isImageFileName(_ name: String) -> Bool {
        !name.hasPrefix(".") && imageExtensions.contains((name as NSString).pathExtension.lowercased())
    }

    /// The images the folder holds, in load order.
    /// - Throws: `DatasetError.unreadable` for a missing folder, `.emptyFolder` when it holds no images.
    public func listImages() throws(DatasetError) -> Listing {
        let names = try Self.sortedEntries(of: folder)
        let topLevel = names.filter { Self.isImageFileName($0) && !Self.isFolder(folder.appendingPathComponent($0)) }
        if !topLevel.isEmpty {
            var files = topLevel.map { folder.appendingPathComponent($0) }
            if let maxImageCount { files = Array(files.prefix(maxImageCount)) }
            return Listing(files: files, labels: nil, classNames: nil)
        }
        var files: [URL] = [], labels: [Int] = [], classNames: [String] = []
        for name in names where !name.hasPrefix(".") && Self.isFolder(folder.appendingPathComponent(name)) {
            let classFolder = folder.appendingPathComponent(name)
            let images = try Self.sortedEntries(of: classFolder).filter {
                Self.isImageFileName($0) && !Self.isFolder(classFolder.appendingPathComponent($0))
            }
            guard !images.isEmpty else { continue }
            files += images.map { classFolder.appendingPathComponent($0) }
            labels += [Int](repeating: classNames.count, count: images.count)
            classNames.append(name)
        }
        guard !files.isEmpty else {
            throw .emptyFolder(folder: folder.path,
                               expected: "PNG or JPEG images (.png, .jpg, .jpeg), or sub-folders of them, one per class")
        }
        if let maxImageCount {
            files = Array(files.prefix(maxImageCount))
            labels = Array(labels.prefix(maxImageCount))
        }
        return Listing(files: files, labels: labels, classNames: classNames)
    }

    /// Reads, decodes, crops and resizes every listed image (at most `maxImageCount`).
    /// - Throws: the first `DatasetError` in file order, naming the file: `.unreadable`,
    ///   `.unsupportedImageFormat`, `.missingDecoder`, `.corruptImage`, `.truncated`, ...
    public func load() throws(DatasetError) -> ImageDataset {
        let listing = try listImages()
        return try load(listing, indices: Array(listing.files.indices))
    }

    /// Reads, decodes, crops and resizes only the files `listing.files[indices]`, in that order,
    /// with their labels; the other files are not opened. This is how a caller picks a subset
    /// (a split, a limit) of a large folder without decoding all of it.
    ///
    /// Files are decoded on all cores; the result does not depend on the scheduling.
    /// - Memory: the `indices.count × channels × imageSize²` output floats, plus one file's bytes
    ///   and decoded pixels per core.
    /// - Throws: the error of the first failing file in `indices` order (as a one-by-one loop
    ///   would), naming the file.
    public func load(_ listing: Listing, indices: [Int]) throws(DatasetError) -> ImageDataset {
        precondition(indices.allSatisfy { listing.files.indices.contains($0) },
                     "ImageFolderLoader.load: indices must lie in 0..<\(listing.files.count), got \(indices.min() ?? 0)...\(indices.max() ?? 0)")
        let imageScalars = channels * imageSize * imageSize
        var scalars = [Float](repeating: 0, count: indices.count * imageScalars)
        let failures = FirstFailure()
        let ranges = Parallel.ranges(indices.count)
        scalars.withUnsafeMutableBufferPointer { output in
            Parallel.forEach(ranges.count) { chunk in
                for position in ranges[chunk] {
                    // A failure earlier in the order decides the error; later files need not be read.
                    if failures.hasFailure(before: position) { return }
                    do throws(DatasetError) {
                        let image = try loadImage(listing.files[indices[position]])
                        let start = position * imageScalars
                        for (offset, value) in image.enumerated() { output[start + offset] = value }
                    } catch {
                        failures.record(error, at: position)
                        return
                    }
                }
            }
        }
        if let error = failures.first { throw error }
        let images = Tensor(shape: [indices.count, channels, imageSize, imageSize], scalars: scalars)
        return ImageDataset(name: name, images: images, labels: listing.labels.map { all in indices.map { all[$0] } },
                            classCount: listing.classNames.map(\.count))
    }

    /// One image file as `channels × imageSize × imageSize` floats in [0, 1].
    public func loadImage(_ file: URL) throws(DatasetError) -> [Float] {
        let decoded = try decode(try FileBytes.read(file), source: file.path)
        return ImageResampler.squareImage(pixels: decoded.pixels, width: decoded.width, height: decoded.height,
                                          channels: decoded.channels, size: imageSize, outputChannels: channels)
    }

    /// Decodes PNG (through `pngDecoder`) or JPEG bytes, told apart by their leading bytes.
    public func decode(_ data: Data, source: String) throws(DatasetError) -> DecodedPixels {
        if data.starts(with: Self.pngSignature) {
            guard let pngDecoder else { throw .missingDecoder(file: source, format: "PNG") }
            try checkPNGHeader(data, source: source)
            let decoded: DecodedPixels
            do {
                decoded = try pngDecoder(data, source)
            } catch let error as DatasetError {
                throw error
            } catch {
                throw .corruptImage(file: source, field: "PNG data", reason: "\(error)")
            }
            guard decoded.width > 0, decoded.height > 0, (1...4).contains(decoded.channels),
                  decoded.pixels.count == FileBytes.checkedProduct([decoded.width, decoded.height, decoded.channels]) else {
                throw .corruptImage(file: source, field: "PNG data",
                                    reason: "the decoder returned \(decoded.pixels.count) bytes for \(decoded.width) × \(decoded.height) × \(decoded.channels)")
            }
            return decoded
        }
        if JPEGDecoder.isJPEG(data) {
            return try JPEGDecoder.decode(data, source: source, maxPixelCount: maxPixelCount)
        }
        throw .unsupportedImageFormat(file: source, found: FileBytes.hexPrefix(data, count: 8))
    }

    /// Refuses a PNG whose IHDR is missing or claims more than `maxPixelCount` pixels, before the
    /// decoder allocates for it.
    private func checkPNGHeader(_ data: Data, source: String) throws(DatasetError) {
        let bytes = [UInt8](data.prefix(24))
        guard bytes.count == 24 else {
            throw .truncated(file: source, field: "PNG IHDR chunk", expectedBytes: 24, foundBytes: data.count)
        }
        guard bytes[12..<16].elementsEqual("IHDR".utf8) else {
            throw .corruptImage(file: source, field: "PNG IHDR chunk", reason: "the first chunk is not IHDR")
        }
        let width = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }
        let height = bytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
        guard width > 0, height > 0, width <= maxPixelCount / height else {
            throw .corruptImage(file: source, field: "PNG IHDR chunk",
                                reason: "\(width) × \(height) pixels: expected a non-zero size of at most \(maxPixelCount) pixels")
        }
    }

    static func isFolder(_ url: URL) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) && isFolder.boolValue
    }

    static func sortedEntries(of folder: URL) throws(DatasetError) -> [String] {
        guard isFolder(folder) else { throw .unreadable(file: folder.path, reason: "no such folder") }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        } catch {
            throw .unreadable(file: folder.path, reason: "cannot list the folder (\(error.localizedDescription))")
        }
    }
}

/// The error of the lowest position that failed, shared by the decoding threads.
private final class FirstFailure: @unchecked Sendable {
    private let lock = NSLock()
    private var position = Int.max
    private var error: DatasetError?

    /// Whether a position before `position` has failed.
    func hasFailure(before position: Int) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return self.position < position
    }

    func record(_ error: DatasetError, at position: Int) {
        lock.lock(); defer { lock.unlock() }
        if position < self.position { self.position = position; self.error = error }
    }

    var first: DatasetError? {
        lock.lock(); defer { lock.unlock() }
        return error
    }
}
