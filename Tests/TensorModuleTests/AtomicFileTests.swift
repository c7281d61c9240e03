import Testing
import Foundation
import TensorModule

@Suite struct AtomicFileTests {
    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A write replaces the file whole and leaves no temporary file.
    @Test func replacesTheFileAndLeavesNothingElse() throws {
        let folder = try temporaryFolder()
        let target = folder.appendingPathComponent("model.json")
        try AtomicFile.write(Data("old".utf8), to: target)
        try AtomicFile.write(Data("new".utf8), to: target)
        #expect(try Data(contentsOf: target) == Data("new".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["model.json"])
    }

    /// A write that fails (here the temporary name is too long for the file system, as a full disk
    /// fails the same call) throws an error naming the target with the system's reason, keeps the old
    /// file intact and leaves no `.NAME.tmp-PID` file behind.
    @Test func failedWriteNamesTheTargetAndLeavesNoTemporaryFile() throws {
        let folder = try temporaryFolder()
        let name = String(repeating: "n", count: 250)
        let target = folder.appendingPathComponent(name)
        try Data("old".utf8).write(to: target)
        do {
            try AtomicFile.write(Data(repeating: 7, count: 1000), to: target)
            Issue.record("a temporary name of \(name.count + 12) characters was accepted")
        } catch let error as AtomicFileError {
            #expect(error.path == target.path)
            #expect(error.description.contains("could not write 1000 bytes") && error.description.contains("too long"), "\(error)")
            #expect(!error.description.contains("UserInfo"))
        }
        #expect(try Data(contentsOf: target) == Data("old".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == [name])
    }
}
