import Foundation
import TensorModule

/// Loads an MNIST-style folder of four IDX files into a train and a test `ImageDataset`.
///
/// Accepted names (any case, each optionally gzip-compressed; compression is detected from the bytes):
/// `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
/// `t10k-labels-idx1-ubyte`, with `test` for `t10k` and `.` for the `-` before `idx`
/// (`train-images.idx3-ubyte`, as some mirrors name them).
/// Images are [n, h, w] (or [n, c, h, w] / [n, h, w, c]) uint8, or floats in [0, 1]; labels are
/// one integer per image, checked against `classCount`.
public struct IDXDatasetLoader: Sendable {
    /// The four files a folder must hold.
    public enum Role: String, CaseIterable, Sendable {
        case trainImages = "train-images-idx3-ubyte"
        case trainLabels = "train-labels-idx1-ubyte"
        case testImages = "t10k-images-idx3-ubyte"
        case testLabels = "t10k-labels-idx1-ubyte"
    }

    /// The folder holding the files.
    public var folder: URL
    /// The dataset's name; the splits are called "<name>/train" and "<name>/test".
    public var name: String
    /// The number of classes, or nil to infer it as the largest label plus one.
    public var classCount: Int?
    /// The most bytes one compressed file may decompress to.
    public var sizeLimit: Int

    public init(folder: URL, name: String? = nil, classCount: Int? = nil, sizeLimit: Int = Gzip.defaultSizeLimit) {
        self.folder = folder
        self.name = name ?? folder.standardizedFileURL.lastPathComponent
        self.classCount = classCount
        self.sizeLimit = sizeLimit
    }

    /// The role of a file name, or nil if it is none of the four.
    public static func role(ofFileName fileName: String) -> Role? {
        var normalised = fileName.lowercased()
        if normalised.hasSuffix(".gz") { normalised.removeLast(3) }
        normalised = normalised.replacingOccurrences(of: ".", with: "-")
        if normalised.hasPrefix("test-") { normalised = "t10k-" + normalised.dropFirst(5) }
        return Role(rawValue: normalised)
    }

    /// The file for each role, the first in sorted order when several match.
    /// - Throws: `DatasetError.unreadable` for a missing folder, `.missingFile` naming what is absent.
    public func locateFiles() throws(DatasetError) -> [Role: URL] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        } catch {
            throw .unreadable(file: folder.path, reason: "cannot list the folder (\(error.localizedDescription))")
        }
        var files: [Role: URL] = [:]
        for name in names {
            if let role = Self.role(ofFileName: name), files[role] == nil {
                files[role] = folder.appendingPathComponent(name)
            }
        }
        for role in Role.allCases where files[role] == nil {
            throw .missingFile(folder: folder.path, expected: [role.rawValue, role.rawValue + ".gz"],
                               found: names.filter { !$0.hasPrefix(".") })
        }
        return files
    }

    /// Whether `folder` holds at least one of the four files.
    public static func holdsAnyIDXFile(_ folder: URL) -> Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.contains { role(ofFileName: $0) != nil }
    }

    /// Whether `folder` holds all four files.
    public static func isIDXFolder(_ folder: URL) -> Bool {
        (try? IDXDatasetLoader(folder: folder).locateFiles()) != nil
    }

    /// Reads and checks the four files.
    /// - Throws: any `DatasetError` from reading, plus `.countMismatch` when a split's image and label
    ///   counts differ, `.valueOutOfRange` for a label outside 0..<classCount, and `.wrongShape`
    ///   when the train and test images differ in size.
    public func load() throws(DatasetError) -> (train: ImageDataset, test: ImageDataset) {
        let files = try locateFiles()
        let trainImages = try readImages(files[.trainImages]!)
        let testImages = try readImages(files[.testImages]!)
        guard trainImages.shape.dropFirst() == testImages.shape.dropFirst() else {
            throw .wrongShape(file: files[.testImages]!.path, field: "dimensions",
                              expected: "images of \(Array(trainImages.shape.dropFirst())) like the training set",
                              found: "\(Array(testImages.shape.dropFirst()))")
        }
        var trainLabels = try readLabels(files[.trainLabels]!, imageCount: trainImages.shape[0])
        var testLabels = try readLabels(files[.testLabels]!, imageCount: testImages.shape[0])
        let classes = classCount ?? ((trainLabels + testLabels).max() ?? -1) + 1
        trainLabels = try ImageArrays.labels(trainLabels, expectedCount: trainImages.shape[0], classCount: classes,
                                             source: files[.trainLabels]!.path, field: "labels")
        testLabels = try ImageArrays.labels(testLabels, expectedCount: testImages.shape[0], classCount: classes,
                                            source: files[.testLabels]!.path, field: "labels")
        return (train: ImageDataset(name: "\(name)/train", images: trainImages, labels: trainLabels, classCount: classes),
                test: ImageDataset(name: "\(name)/test", images: testImages, labels: testLabels, classCount: classes))
    }

    private func readImages(_ url: URL) throws(DatasetError) -> Tensor {
        let array = try IDXArray.read(url, sizeLimit: sizeLimit)
        return try ImageArrays.tensor(array.imageValues, shape: array.dimensions, source: url.path, field: "dimensions")
    }

    private func readLabels(_ url: URL, imageCount: Int) throws(DatasetError) -> [Int] {
        let array = try IDXArray.read(url, sizeLimit: sizeLimit)
        guard array.dimensions.count == 1 else {
            throw .wrongShape(file: url.path, field: "dimensions", expected: "labels [\(imageCount)]",
                              found: "\(array.dimensions)")
        }
        guard let values = array.integerValues else {
            throw .unsupportedDataType(file: url.path, field: "type byte", found: array.dataType.description,
                                       supported: [IDXArray.DataType.uint8, .int8, .int16, .int32].map(\.description))
        }
        return try ImageArrays.labels(values, expectedCount: imageCount, classCount: nil, source: url.path, field: "labels")
    }
}
