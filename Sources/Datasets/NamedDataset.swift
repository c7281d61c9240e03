import Foundation
import TensorModule

/// Datasets known by name, and where LatentOT looks for them.
///
/// | name | looked for in (first found wins) | provided by |
/// |---|---|---|
/// | `mnist` | `$LATENTOT_DATA/mnist`, `$LATENTOT_DATA/mnist-5k`, `./data/mnist`, `./data/mnist-5k`, the project's `data/mnist-5k`, `/usr/share/datasets/mnist` | the project's `data/mnist-5k` (4,000 + 1,000 real MNIST images) |
/// | `fashion-mnist` | `$LATENTOT_DATA/fashion-mnist`, `./data/fashion-mnist`, `/usr/share/datasets/fashion-mnist` | Debian's `dataset-fashion-mnist` |
public enum NamedDataset: String, CaseIterable, Sendable {
    case mnist = "mnist"
    case fashionMNIST = "fashion-mnist"

    /// The environment variable naming a folder of dataset folders.
    public static let environmentVariable = "LATENTOT_DATA"

    /// The number of classes.
    public var classCount: Int { 10 }

    /// The folder names searched under `$LATENTOT_DATA` and `data/`, best first.
    public var folderNames: [String] {
        switch self {
        case .mnist: return ["mnist", "mnist-5k"]
        case .fashionMNIST: return ["fashion-mnist"]
        }
    }

    /// Where Debian's dataset packages install (`dataset-fashion-mnist` →
    /// `/usr/share/datasets/fashion-mnist`).
    public static let systemDatasetsFolder = URL(fileURLWithPath: "/usr/share/datasets")

    /// What provides the dataset, for the error when it is missing.
    public var provider: String {
        switch self {
        case .mnist:
            return "run from the LatentOT project folder (which ships data/mnist-5k), set \(Self.environmentVariable) to a folder holding mnist/ or mnist-5k/ (IDX files), or give the IDX folder's path where the dataset name goes"
        case .fashionMNIST:
            return "install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist), set \(Self.environmentVariable) to a folder holding fashion-mnist/ (IDX files), or give the IDX folder's path where the dataset name goes"
        }
    }

    /// The LatentOT checkout this library was compiled from (its `data/mnist-5k` is searched), as
    /// recorded at compile time; a binary moved elsewhere simply finds nothing there.
    public static let projectFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The folders searched, in order.
    public func candidateFolders(environment: [String: String], currentDirectory: URL,
                                 systemDatasetsFolder: URL = NamedDataset.systemDatasetsFolder) -> [URL] {
        var folders: [URL] = []
        if let root = environment[Self.environmentVariable], !root.isEmpty {
            folders += folderNames.map { URL(fileURLWithPath: root).appendingPathComponent($0) }
        }
        folders += folderNames.map { currentDirectory.appendingPathComponent("data").appendingPathComponent($0) }
        folders += folderNames.map { Self.projectFolder.appendingPathComponent("data").appendingPathComponent($0) }
        folders.append(systemDatasetsFolder.appendingPathComponent(rawValue))
        var seen = Set<String>()
        return folders.filter { seen.insert($0.standardizedFileURL.path).inserted }
    }

    /// The first candidate folder holding the four IDX files.
    /// - Throws: `DatasetError.missingDataset` listing the folders searched and what provides the data.
    public func locate(environment: [String: String] = ProcessInfo.processInfo.environment,
                       currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                       systemDatasetsFolder: URL = NamedDataset.systemDatasetsFolder) throws(DatasetError) -> DatasetSource {
        let candidates = candidateFolders(environment: environment, currentDirectory: currentDirectory,
                                          systemDatasetsFolder: systemDatasetsFolder)
        for folder in candidates where IDXDatasetLoader.isIDXFolder(folder) {
            return .idxFolder(folder, name: folder.lastPathComponent, classCount: classCount)
        }
        throw .missingDataset(name: rawValue, searched: candidates.map(\.path), provider: provider)
    }

    /// How a model records its `--data`: a known name as given, a path made absolute (`~` expanded,
    /// relative to `currentDirectory`), so the model folder finds its data from any folder.
    public static func canonical(_ nameOrPath: String,
                                 currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) -> String {
        if NamedDataset(rawValue: nameOrPath.lowercased()) != nil || nameOrPath.isEmpty { return nameOrPath }
        let expanded = (nameOrPath as NSString).expandingTildeInPath
        let url = expanded.hasPrefix("/") ? URL(fileURLWithPath: expanded) : currentDirectory.appendingPathComponent(expanded)
        return url.standardizedFileURL.path
    }

    /// A dataset name (`mnist`, `fashion-mnist`, any case) or a path, resolved to what to load.
    ///
    /// A path may be an IDX folder, a `.npy` file of images ([n, h, w], [n, c, h, w] or
    /// [n, h, w, c], uint8 or floats in [0, 1]), a `.npz` archive (`x_train`/`y_train`/`x_test`/`y_test`,
    /// `images`/`labels`, or a single array), or a folder of PNG/JPEG images (optionally in class
    /// sub-folders). Relative paths are taken from `currentDirectory`; `~` is expanded. A name wins
    /// over a relative path of the same spelling.
    /// - Throws: `DatasetError.missingDataset` for a known name found nowhere,
    ///   `.unknownDataset` for neither a name nor an existing path, `.emptyFolder` for a folder with
    ///   nothing readable, `.wrongMagic` for a file of another kind.
    public static func resolve(_ nameOrPath: String,
                               environment: [String: String] = ProcessInfo.processInfo.environment,
                               currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                               systemDatasetsFolder: URL = NamedDataset.systemDatasetsFolder) throws(DatasetError) -> DatasetSource {
        if let named = NamedDataset(rawValue: nameOrPath.lowercased()) {
            return try named.locate(environment: environment, currentDirectory: currentDirectory,
                                    systemDatasetsFolder: systemDatasetsFolder)
        }
        let expanded = (nameOrPath as NSString).expandingTildeInPath
        let url = expanded.hasPrefix("/") ? URL(fileURLWithPath: expanded)
                                           : currentDirectory.appendingPathComponent(expanded)
        var isFolder: ObjCBool = false
        guard !nameOrPath.isEmpty, FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            throw .unknownDataset(nameOrPath: nameOrPath, knownNames: allCases.map(\.rawValue))
        }
        if isFolder.boolValue {
            if IDXDatasetLoader.isIDXFolder(url) {
                return .idxFolder(url, name: url.lastPathComponent, classCount: nil)
            }
            if IDXDatasetLoader.holdsAnyIDXFile(url) {
                // Some of the four IDX files but not all: name the missing one, not "no images".
                _ = try IDXDatasetLoader(folder: url).locateFiles()
            }
            _ = try ImageFolderLoader(folder: url, imageSize: 1, channels: 1, pngDecoder: nil).listImages()
            return .imageFolder(url)
        }
        let head = try FileBytes.read(url).prefix(8)
        let uncompressed = (url.pathExtension.lowercased() == "gz") ? url.deletingPathExtension() : url
        if head.starts(with: NumpyArray.magic) || (Gzip.isCompressed(head) && uncompressed.pathExtension.lowercased() == "npy") {
            return .numpyFile(url)
        }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            return .numpyArchive(url)
        }
        throw .wrongMagic(file: url.path, field: "leading bytes",
                          expected: "93 4e 55 4d 50 59 (a .npy file), 50 4b 03 04 (a .npz file), or a folder",
                          found: FileBytes.hexPrefix(head, count: 8))
    }
}

/// Where a dataset's bytes are and in which format; `load` reads them.
public enum DatasetSource: Equatable, Sendable {
    /// A folder of the four MNIST-style IDX files (train and test splits, labelled).
    case idxFolder(URL, name: String, classCount: Int?)
    /// A `.npy` file of images (one split, unlabelled).
    case numpyFile(URL)
    /// A `.npz` archive of images and perhaps labels and a test split.
    case numpyArchive(URL)
    /// A folder of PNG/JPEG images (one split; labelled when in class sub-folders).
    case imageFolder(URL)

    /// The file or folder.
    public var url: URL {
        switch self {
        case .idxFolder(let url, _, _), .numpyFile(let url), .numpyArchive(let url), .imageFolder(let url):
            return url
        }
    }

    /// A short name for logs and reports.
    public var name: String {
        switch self {
        case .idxFolder(_, let name, _): return name
        case .numpyFile(let url), .numpyArchive(let url):
            var base = url
            while !base.pathExtension.isEmpty { base.deletePathExtension() }
            return base.lastPathComponent
        case .imageFolder(let url): return url.standardizedFileURL.lastPathComponent
        }
    }

    /// Reads the dataset.
    /// - Parameters:
    ///   - imageSize: the square side image folders are resized to (IDX and NumPy keep their size).
    ///   - channels: 1 or 3, for image folders (IDX and NumPy keep theirs).
    ///   - pngDecoder: decodes PNG files in image folders (e.g. `PNG.decode` from ImageFormats).
    ///   - sizeLimit: the most bytes one compressed file may decompress to.
    public func load(imageSize: Int = 64, channels: Int = 3, pngDecoder: PNGDecoder? = nil,
                     sizeLimit: Int = Gzip.defaultSizeLimit) throws(DatasetError) -> DatasetSplits {
        switch self {
        case .idxFolder(let folder, let name, let classCount):
            let splits = try IDXDatasetLoader(folder: folder, name: name, classCount: classCount, sizeLimit: sizeLimit).load()
            return DatasetSplits(train: splits.train, test: splits.test)
        case .numpyFile(let url):
            let array = try NumpyArray.read(url, sizeLimit: sizeLimit)
            let images = try ImageArrays.tensor(array.imageValues, shape: array.shape, source: url.path, field: "shape")
            return DatasetSplits(train: ImageDataset(name: name, images: images), test: nil)
        case .numpyArchive(let url):
            return try Self.loadArchive(try NumpyArchive.read(url, sizeLimit: sizeLimit), source: url.path, name: name)
        case .imageFolder(let folder):
            let dataset = try ImageFolderLoader(folder: folder, imageSize: imageSize, channels: channels,
                                                pngDecoder: pngDecoder).load()
            return DatasetSplits(train: dataset, test: nil)
        }
    }

    /// Splits from an archive holding `x_train` (+ `y_train`, `x_test`, `y_test`, as Keras' mnist.npz),
    /// `images` (+ `labels`), or a single array of images.
    static func loadArchive(_ archive: NumpyArchive, source: String, name: String) throws(DatasetError) -> DatasetSplits {
        let layouts: [(images: String, labels: String, split: String)]
        if archive["x_train"] != nil {
            layouts = [("x_train", "y_train", "train"), ("x_test", "y_test", "test")]
        } else if archive["images"] != nil {
            layouts = [("images", "labels", "train")]
        } else if archive.entries.count == 1 {
            layouts = [(archive.entries[0].name, "", "train")]
        } else {
            throw .missingFile(folder: source, expected: ["x_train", "images", "a single array"], found: archive.names)
        }
        var images: [Tensor] = [], labels: [[Int]?] = []
        for layout in layouts {
            guard let array = archive[layout.images] else { continue }
            let entrySource = "\(source)/\(layout.images).npy"
            let tensor = try ImageArrays.tensor(array.imageValues, shape: array.shape, source: entrySource, field: "shape")
            images.append(tensor)
            if let labelArray = archive[layout.labels] {
                let labelSource = "\(source)/\(layout.labels).npy"
                guard labelArray.shape.count == 1, let values = labelArray.integerValues else {
                    throw .wrongShape(file: labelSource, field: "shape", expected: "integer labels [\(tensor.shape[0])]",
                                      found: "\(labelArray.shape) of '\(labelArray.dataType.rawValue)'")
                }
                labels.append(try ImageArrays.labels(values, expectedCount: tensor.shape[0], classCount: nil,
                                                     source: labelSource, field: "labels"))
            } else {
                labels.append(nil)
            }
        }
        let allLabels = labels.compactMap { $0 }
        let classCount = allLabels.isEmpty ? nil : (allLabels.flatMap { $0 }.max() ?? -1) + 1
        let datasets = zip(images, labels).enumerated().map { index, pair in
            ImageDataset(name: "\(name)/\(layouts[index].split)", images: pair.0,
                         labels: pair.1, classCount: pair.1 == nil ? nil : classCount)
        }
        return DatasetSplits(train: datasets[0], test: datasets.count > 1 ? datasets[1] : nil)
    }
}
