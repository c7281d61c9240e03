import Testing
import Foundation
import TensorModule
import Datasets

@Suite struct IDXDatasetLoaderTests {
    /// Writes a tiny IDX dataset: `trainCount` and `testCount` 2 × 3 images whose pixel k of image i
    /// is (i · 6 + k) mod 256, labels i mod 3.
    static func writeDataset(in folder: URL, trainCount: Int = 4, testCount: Int = 2, names: [String]? = nil,
                             compress: Bool = true, labelOverride: [UInt8]? = nil) {
        let names = names ?? ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
        func images(_ count: Int) -> Data {
            IDXArray(dimensions: [count, 2, 3], storage: .uint8((0..<(count * 6)).map { UInt8($0 % 256) })).encode()
        }
        func labels(_ count: Int) -> Data {
            IDXArray(dimensions: [count], storage: .uint8(labelOverride ?? (0..<count).map { UInt8($0 % 3) })).encode()
        }
        let contents = [images(trainCount), labels(trainCount), images(testCount), labels(testCount)]
        for (name, data) in zip(names, contents) {
            _ = Fixtures.write(compress ? Gzip.compress(data) : data, to: folder, compress ? name + ".gz" : name)
        }
    }

    @Test func loadsBytesTheTestWrote() throws {
        let folder = Fixtures.makeFolder("idx")
        defer { Fixtures.removeFolder(folder) }
        Self.writeDataset(in: folder)
        let (train, test) = try IDXDatasetLoader(folder: folder, name: "tiny").load()
        #expect(train.images.shape == [4, 1, 2, 3])
        #expect(test.images.shape == [2, 1, 2, 3])
        #expect(train.name == "tiny/train" && test.name == "tiny/test")
        #expect(train.labels == [0, 1, 2, 0] && test.labels == [0, 1])
        #expect(train.classCount == 3)
        #expect(train.images.scalars[7] == Float(7) / 255)
        #expect(test.images.scalars.last == Float(11) / 255)
    }

    @Test(arguments: [
        ["train-images.idx3-ubyte", "train-labels.idx1-ubyte", "t10k-images.idx3-ubyte", "t10k-labels.idx1-ubyte"],
        ["TRAIN-IMAGES-IDX3-UBYTE", "train-labels-idx1-ubyte", "test-images-idx3-ubyte", "test-labels-idx1-ubyte"],
    ])
    func acceptsNameVariantsCompressedOrNot(names: [String]) throws {
        for compress in [false, true] {
            let folder = Fixtures.makeFolder("idx-names")
            defer { Fixtures.removeFolder(folder) }
            Self.writeDataset(in: folder, names: names, compress: compress)
            let (train, test) = try IDXDatasetLoader(folder: folder).load()
            #expect(train.count == 4 && test.count == 2)
        }
    }

    @Test func aMissingFileIsNamed() {
        let folder = Fixtures.makeFolder("idx-missing")
        defer { Fixtures.removeFolder(folder) }
        Self.writeDataset(in: folder)
        try? FileManager.default.removeItem(at: folder.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        let error = #expect(throws: DatasetError.self) { try IDXDatasetLoader(folder: folder).load() }
        guard case .missingFile(let path, let expected, let found) = error else {
            Issue.record("expected missingFile, got \(String(describing: error))"); return
        }
        #expect(path == folder.path)
        #expect(expected == ["t10k-labels-idx1-ubyte", "t10k-labels-idx1-ubyte.gz"])
        #expect(found.count == 3)
        // Resolved as a path (what `--data DIR` does), the folder is still an IDX folder missing one
        // file, not an image folder without images.
        let resolved = #expect(throws: DatasetError.self) { try NamedDataset.resolve(folder.path) }
        #expect(String(describing: resolved!).contains("t10k-labels-idx1-ubyte"), "\(String(describing: resolved))")
    }

    /// Models record names as given and paths absolute, so they find their data from any folder.
    @Test func canonicalNamesAndPaths() {
        let here = URL(fileURLWithPath: "/tmp/work")
        #expect(NamedDataset.canonical("Fashion-MNIST", currentDirectory: here) == "Fashion-MNIST")
        #expect(NamedDataset.canonical("data/x", currentDirectory: here) == "/tmp/work/data/x")
        #expect(NamedDataset.canonical("../y/./z.npy", currentDirectory: here) == "/tmp/y/z.npy")
        #expect(NamedDataset.canonical("/abs/p", currentDirectory: here) == "/abs/p")
    }

    /// A corrupt rank byte (255 dimensions) is described in a line, not 255 factors.
    @Test func aHugeRankIsDescribedBriefly() {
        var bytes = Data([0, 0, 0x08, 255])
        bytes.append(Data(repeating: 0x7f, count: 4 * 255 + 16))
        let error = #expect(throws: DatasetError.self) { try IDXArray.decode(bytes, source: "rank.idx") }
        let message = String(describing: error!)
        #expect(message.contains("255 dimensions") && message.count < 400, "\(message)")
    }

    @Test func imageAndLabelCountsMustAgree() {
        let folder = Fixtures.makeFolder("idx-count")
        defer { Fixtures.removeFolder(folder) }
        Self.writeDataset(in: folder)
        let labels = IDXArray(dimensions: [3], storage: .uint8([0, 1, 2])).encode()
        _ = Fixtures.write(Gzip.compress(labels), to: folder, "train-labels-idx1-ubyte.gz")
        let error = #expect(throws: DatasetError.self) { try IDXDatasetLoader(folder: folder).load() }
        #expect(error == .countMismatch(file: folder.appendingPathComponent("train-labels-idx1-ubyte.gz").path,
                                        field: "labels", expected: 4, found: 3))
    }

    @Test func labelsMustBeInRange() {
        let folder = Fixtures.makeFolder("idx-range")
        defer { Fixtures.removeFolder(folder) }
        Self.writeDataset(in: folder, trainCount: 2, testCount: 2, labelOverride: [1, 12])
        let error = #expect(throws: DatasetError.self) { try IDXDatasetLoader(folder: folder, classCount: 10).load() }
        #expect(error == .valueOutOfRange(file: folder.appendingPathComponent("train-labels-idx1-ubyte.gz").path,
                                          field: "labels", index: 1, expected: "labels in 0..<10", found: "12"))
    }

    @Test func truncatedAndNonFiniteImagesAreNamed() {
        let folder = Fixtures.makeFolder("idx-bad")
        defer { Fixtures.removeFolder(folder) }
        Self.writeDataset(in: folder, compress: false)
        let images = folder.appendingPathComponent("train-images-idx3-ubyte")
        let full = try! Data(contentsOf: images)
        try! full.prefix(full.count - 5).write(to: images)
        let truncated = #expect(throws: DatasetError.self) { try IDXDatasetLoader(folder: folder).load() }
        #expect(truncated == .truncated(file: images.path, field: "data", expectedBytes: 40, foundBytes: 35))

        try! IDXArray(dimensions: [4, 2, 3], storage: .float32([Float](repeating: 0.5, count: 23) + [.nan])).encode().write(to: images)
        let nan = #expect(throws: DatasetError.self) { try IDXDatasetLoader(folder: folder).load() }
        #expect(nan == .nonFiniteValue(file: images.path, field: "data", index: 23, found: "nan"))

        try! IDXArray(dimensions: [4, 2, 3], storage: .float32([Float](repeating: 0.5, count: 23) + [2])).encode().write(to: images)
        let range = #expect(throws: DatasetError.self) { try IDXDatasetLoader(folder: folder).load() }
        #expect(range?.description.contains("expected values in [0, 1] for float pixels, found 2.0 at flat index 23") == true)

        try! IDXArray(dimensions: [4, 6], storage: .uint8([UInt8](repeating: 0, count: 24))).encode().write(to: images)
        let shape = #expect(throws: DatasetError.self) { try IDXDatasetLoader(folder: folder).load() }
        #expect(shape?.description.contains("wrong shape: expected images [n, h, w]") == true)
        #expect(shape?.file == images.path)
    }

    /// The real MNIST subset shipped in data/mnist-5k.
    @Test func theRealMNISTSubsetLoads() throws {
        let source = try NamedDataset.resolve("mnist", environment: [:], currentDirectory: URL(fileURLWithPath: "/nonexistent"),
                                              systemDatasetsFolder: URL(fileURLWithPath: "/nonexistent"))
        #expect(source.name == "mnist-5k")
        #expect(source.url.standardizedFileURL == NamedDataset.projectFolder.appendingPathComponent("data/mnist-5k").standardizedFileURL)
        let splits = try source.load()
        let test = try #require(splits.test)
        #expect(splits.train.images.shape == [4000, 1, 28, 28])
        #expect(test.images.shape == [1000, 1, 28, 28])
        #expect(splits.train.classCounts == [Int](repeating: 400, count: 10))
        #expect(test.classCounts == [Int](repeating: 100, count: 10))
        #expect(splits.train.images.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        // Real digits: mostly background, a stroke in the middle, every image with some ink.
        let mean = splits.train.images.scalars.reduce(0, +) / Float(splits.train.images.count)
        #expect(mean > 0.08 && mean < 0.2)
        #expect((0..<test.count).allSatisfy { image in test.images.scalars[(image * 784)..<((image + 1) * 784)].max()! > 0.5 })
    }
}

@Suite struct NamedDatasetTests {
    @Test func theEnvironmentVariableFolderComesFirst() throws {
        let root = Fixtures.makeFolder("named")
        defer { Fixtures.removeFolder(root) }
        IDXDatasetLoaderTests.writeDataset(in: root.appendingPathComponent("fashion-mnist"))
        let source = try NamedDataset.resolve("Fashion-MNIST", environment: ["LATENTOT_DATA": root.path],
                                              currentDirectory: root, systemDatasetsFolder: root)
        #expect(source == .idxFolder(root.appendingPathComponent("fashion-mnist"), name: "fashion-mnist", classCount: 10))
        #expect(try source.load().train.count == 4)
    }

    @Test func aMissingDatasetSaysWhatProvidesIt() {
        let empty = Fixtures.makeFolder("named-empty")
        defer { Fixtures.removeFolder(empty) }
        let error = #expect(throws: DatasetError.self) {
            try NamedDataset.resolve("fashion-mnist", environment: ["LATENTOT_DATA": empty.path], currentDirectory: empty,
                                     systemDatasetsFolder: empty)
        }
        guard case .missingDataset(let name, let searched, _) = error else {
            Issue.record("expected missingDataset, got \(String(describing: error))"); return
        }
        #expect(name == "fashion-mnist")
        #expect(searched.first == empty.appendingPathComponent("fashion-mnist").path)
        #expect(searched.last == empty.appendingPathComponent("fashion-mnist").path || searched.contains(empty.path + "/fashion-mnist"))
        #expect(error?.description.contains("install the Debian package dataset-fashion-mnist") == true)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist")))
    func theDebianFashionMNISTPackageIsFound() throws {
        let source = try NamedDataset.resolve("fashion-mnist", environment: [:], currentDirectory: URL(fileURLWithPath: "/nonexistent"))
        #expect(source.url.path == "/usr/share/datasets/fashion-mnist")
        let labels = try IDXArray.read(try IDXDatasetLoader(folder: source.url).locateFiles()[.testLabels]!)
        #expect(labels.dimensions == [10000])
        #expect(labels.uint8Values?.max() == 9)
    }

    @Test func pathsResolveByWhatTheyHold() throws {
        let root = Fixtures.makeFolder("paths")
        defer { Fixtures.removeFolder(root) }
        IDXDatasetLoaderTests.writeDataset(in: root.appendingPathComponent("idx"))
        _ = Fixtures.write(NumpyArray(shape: [2, 4, 4], storage: .uint8([UInt8](repeating: 9, count: 32))).encode(), to: root, "faces.npy")
        _ = Fixtures.write(NumpyArchive(entries: [.init(name: "images", array: NumpyArray(shape: [1, 2, 2], floats: [0, 0.5, 1, 0.25]))]).encode(), to: root, "set.npz")
        _ = Fixtures.write(Fixtures.jpeg(width: 4, height: 4, channels: 1, pixels: [UInt8](repeating: 128, count: 16)), to: root, "pictures/a.jpg")
        _ = Fixtures.write(Data("hello".utf8), to: root, "notes.txt")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("empty"), withIntermediateDirectories: true)

        func resolve(_ path: String) throws(DatasetError) -> DatasetSource {
            try NamedDataset.resolve(path, environment: [:], currentDirectory: root)
        }
        #expect(try resolve("idx") == .idxFolder(root.appendingPathComponent("idx"), name: "idx", classCount: nil))
        #expect(try resolve(root.appendingPathComponent("faces.npy").path) == .numpyFile(root.appendingPathComponent("faces.npy")))
        #expect(try resolve("set.npz") == .numpyArchive(root.appendingPathComponent("set.npz")))
        #expect(try resolve("pictures") == .imageFolder(root.appendingPathComponent("pictures")))
        #expect(throws: DatasetError.unknownDataset(nameOrPath: "nowhere", knownNames: ["mnist", "fashion-mnist"])) { try resolve("nowhere") }
        let empty = #expect(throws: DatasetError.self) { try resolve("empty") }
        #expect(empty?.file == root.appendingPathComponent("empty").path)
        let text = #expect(throws: DatasetError.self) { try resolve("notes.txt") }
        #expect(text?.description.contains("found 68 65 6c 6c 6f") == true && text?.field == "leading bytes")

        let infinite = Fixtures.write(NumpyArray(shape: [1, 1, 2], storage: .float64([0.5, .infinity])).encode(), to: root, "inf.npy")
        #expect(throws: DatasetError.nonFiniteValue(file: infinite.path, field: "data", index: 1, found: "inf")) {
            try resolve("inf.npy").load()
        }
        let faces = try resolve("faces.npy").load()
        #expect(faces.train.images.shape == [2, 1, 4, 4] && faces.test == nil && faces.train.name == "faces")
        #expect(faces.train.images.scalars[0] == Float(9) / 255)
        let set = try resolve("set.npz").load()
        #expect(set.train.images.scalars == [0, 0.5, 1, 0.25] && set.train.labels == nil)
        let pictures = try resolve("pictures").load(imageSize: 2, channels: 1)
        #expect(pictures.train.images.shape == [1, 1, 2, 2])
    }

    /// Keras' mnist.npz layout: x_train, y_train, x_test, y_test.
    @Test func kerasStyleArchivesGiveLabelledSplits() throws {
        let archive = NumpyArchive(entries: [
            .init(name: "x_train", array: NumpyArray(shape: [3, 2, 2], storage: .uint8([UInt8](repeating: 255, count: 12)))),
            .init(name: "y_train", array: NumpyArray(shape: [3], storage: .int64([0, 4, 2]))),
            .init(name: "x_test", array: NumpyArray(shape: [1, 2, 2], storage: .uint8([0, 0, 0, 0]))),
            .init(name: "y_test", array: NumpyArray(shape: [1], storage: .int64([1]))),
        ])
        let folder = Fixtures.makeFolder("keras")
        defer { Fixtures.removeFolder(folder) }
        let file = Fixtures.write(archive.encode(compressed: true), to: folder, "k.npz")
        let source = try NamedDataset.resolve(file.path)
        #expect(source == .numpyArchive(file) && source.name == "k")
        let splits = try source.load()
        #expect(splits.train.labels == [0, 4, 2] && splits.train.classCount == 5)
        #expect(splits.test?.labels == [1] && splits.test?.name == "k/test")
    }
}
