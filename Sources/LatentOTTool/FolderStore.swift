import Foundation
import TensorModule
import LatentOT
import Datasets

/// An artifact store backed by a folder: every write goes to a temporary file and is renamed into
/// place, so a crash never leaves a half-written model or report.
final class FolderStore: ArtifactStore {
    let folder: URL
    var location: String { folder.path }

    /// Opens (and with `create`, makes) the folder.
    init(_ path: String, create: Bool) throws {
        folder = URL(fileURLWithPath: path)
        try Self.refuseFile(at: path)
        if !FileManager.default.fileExists(atPath: path) {
            // Nothing there at all is not an incomplete folder: say what was expected.
            guard create else {
                throw LatentOTError.invalidValue(field: path, expected: "an existing folder (a model written by `latentot train`, an autoencoder, or a `transport solve` solution)",
                                                 found: "nothing at that path")
            }
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }
        // A writer killed mid-write leaves its temporary file: the next command to open the folder sweeps it.
        AtomicFile.removeStaleTemporaries(in: folder)
    }

    /// Throws the error `init(_:create:)` would give when `path` exists and is not a folder, without
    /// creating anything: output options are checked before long work.
    static func refuseFile(at path: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && !isFolder.boolValue {
            throw LatentOTError.invalidValue(field: path, expected: "a folder", found: "a file")
        }
    }

    func read(_ name: String) throws -> Data? {
        let url = folder.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try Data(contentsOf: url)
    }

    func write(_ data: Data, named name: String) throws {
        try AtomicFile.write(data, to: folder.appendingPathComponent(name))
    }

    func remove(_ name: String) throws {
        let url = folder.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        try FileManager.default.removeItem(at: url)
    }
}

/// Where the evaluation classifiers of datasets are kept (`EvaluationClassifier`): the project's
/// `data/evaluators/` (shipped, for Fashion-MNIST and mnist-5k), then the user's cache
/// (`$LATENTOT_CACHE`, else `$XDG_CACHE_HOME/latentot`, else `~/.cache/latentot`, each + `/evaluators`),
/// where a newly trained one is written.
enum EvaluatorStores {
    static func all(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [ArtifactStore] {
        var stores: [ArtifactStore] = []
        let shipped = NamedDataset.projectFolder.appendingPathComponent("data/evaluators")
        if FileManager.default.fileExists(atPath: shipped.path) { stores.append(try FolderStore(shipped.path, create: false)) }
        let cacheRoot: String
        if let value = environment["LATENTOT_CACHE"], !value.isEmpty {
            cacheRoot = value
        } else if let value = environment["XDG_CACHE_HOME"], !value.isEmpty {
            cacheRoot = (value as NSString).appendingPathComponent("latentot")
        } else {
            cacheRoot = (NSHomeDirectory() as NSString).appendingPathComponent(".cache/latentot")
        }
        stores.append(try FolderStore((cacheRoot as NSString).appendingPathComponent("evaluators"), create: true))
        return stores
    }
}
