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

    /// Temporary files of dead writers are swept (in the folder and its sub-folders); a live
    /// process's (this one's, or PID 1's) and ordinary files are kept.
    @Test func staleTemporariesOfDeadWritersAreRemoved() throws {
        let folder = try temporaryFolder()
        let sub = folder.appendingPathComponent("autoencoder")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        // PIDs above /proc/sys/kernel/pid_max (at most 2^22) never exist.
        let dead = [folder.appendingPathComponent(".heights.npy.tmp-99999999"), sub.appendingPathComponent(".a.json.tmp-88888888")]
        let alive = [folder.appendingPathComponent(".x.npy.tmp-\(getpid())"), folder.appendingPathComponent(".y.npy.tmp-1"),
                     folder.appendingPathComponent("report.json")]
        for url in dead + alive { try Data("z".utf8).write(to: url) }
        let removed = AtomicFile.removeStaleTemporaries(in: folder)
        #expect(Set(removed) == Set(dead.map(\.path)))
        for url in dead { #expect(!FileManager.default.fileExists(atPath: url.path)) }
        for url in alive { #expect(FileManager.default.fileExists(atPath: url.path)) }
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
            #expect(error.description.contains("could not write 1000 bytes: ") && error.reason.count > "could not write 1000 bytes: ".count, "\(error)")
            #expect(!error.description.contains("UserInfo"))
        }
        #expect(try Data(contentsOf: target) == Data("old".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == [name])
    }

    /// A 64 KiB tmpfs (root only: mounted by the test, skipped where mounting is not allowed): a
    /// write that does not fit fails with "No space left on device", keeps the old file and leaves
    /// no temporary file, so a later command never finds a half-written one.
    @Test(.enabled(if: AtomicFileTests.canMount)) func fullDiskLeavesNothingBehind() throws {
        let folder = try #require(AtomicFileTests.smallFileSystem())
        defer { _ = AtomicFileTests.shell("umount \(folder.path)") }
        let target = folder.appendingPathComponent("heights.npy")
        try AtomicFile.write(Data("old".utf8), to: target)
        #expect(throws: AtomicFileError.self) { try AtomicFile.write(Data(repeating: 1, count: 1 << 20), to: target) }
        do { try AtomicFile.write(Data(repeating: 1, count: 1 << 20), to: target) } catch let error as AtomicFileError {
            #expect(error.description == "\(target.path): could not write 1048576 bytes: No space left on device")
        }
        #expect(try Data(contentsOf: target) == Data("old".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["heights.npy"])
    }

    static func shell(_ command: String) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command + " 2>/dev/null"]
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Whether this process may mount a tmpfs (root with the capability: this machine and CI).
    static let canMount: Bool = {
        guard let folder = smallFileSystem() else { return false }
        _ = shell("umount \(folder.path)")
        return true
    }()

    /// A fresh 64 KiB tmpfs, or nil where this process may not mount one.
    static func smallFileSystem() -> URL? {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tmpfs-\(UUID().uuidString)")
        guard (try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)) != nil,
              shell("mount -t tmpfs -o size=64k tmpfs \(folder.path)") == 0 else { return nil }
        return folder
    }
}
