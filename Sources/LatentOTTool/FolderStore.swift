import Foundation
import TensorModule
import LatentOT

/// An artifact store backed by a folder: every write goes to a temporary file and is renamed into
/// place, so a crash never leaves a half-written model or report.
final class FolderStore: ArtifactStore {
    let folder: URL
    var location: String { folder.path }

    /// Opens (and with `create`, makes) the folder.
    init(_ path: String, create: Bool) throws {
        folder = URL(fileURLWithPath: path)
        var isFolder: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
        if exists && !isFolder.boolValue {
            throw LatentOTError.invalidValue(field: path, expected: "a folder", found: "a file")
        }
        if !exists {
            guard create else { throw LatentOTError.missingFile(path) }
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
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
}
