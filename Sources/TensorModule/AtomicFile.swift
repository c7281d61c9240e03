import Foundation

/// Writes files so a crash never leaves a half-written one: data goes to a temporary file in the
/// same folder, is flushed, then renamed over the destination (rename is atomic on POSIX).
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        do {
            try data.write(to: temporary)
        } catch {
            // A full disk or a read-only folder: leave nothing behind and name the file asked for.
            try? FileManager.default.removeItem(at: temporary)
            throw AtomicFileError(path: url.path, reason: "could not write \(data.count) bytes: \(Self.shortReason(error))")
        }
        if rename(temporary.path, url.path) != 0 {
            let code = errno
            try? FileManager.default.removeItem(at: temporary)
            throw AtomicFileError(path: url.path, reason: "could not replace it: \(String(cString: strerror(code)))")
        }
    }

    /// Removes the temporary files of writers that died (`kill -9`, power loss) in `folder` and its
    /// sub-folders: `.NAME.tmp-PID` whose process no longer exists. Returns the paths removed.
    @discardableResult
    public static func removeStaleTemporaries(in folder: URL) -> [String] {
        var removed: [String] = []
        let manager = FileManager.default
        var folders = [folder]
        if let entries = try? manager.contentsOfDirectory(at: folder, includingPropertiesForKeys: [.isDirectoryKey]) {
            folders += entries.filter { (try? $0.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true }
        }
        for directory in folders {
            for name in (try? manager.contentsOfDirectory(atPath: directory.path)) ?? [] {
                guard name.hasPrefix("."), let marker = name.range(of: ".tmp-", options: .backwards),
                      let pid = Int32(name[marker.upperBound...]), pid > 0, pid != getpid() else { continue }
                // kill(pid, 0) fails with ESRCH only when no such process exists.
                if kill(pid, 0) != 0 && errno == ESRCH {
                    let path = directory.appendingPathComponent(name).path
                    if (try? manager.removeItem(atPath: path)) != nil { removed.append(path) }
                }
            }
        }
        return removed
    }

    /// The POSIX reason of a write failure ("No space left on device"), without Foundation's dump.
    static func shortReason(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        // Foundation on Linux reports some POSIX failures as Cocoa codes without the errno.
        if let cocoa = error as? CocoaError {
            switch cocoa.code {
            case .fileWriteOutOfSpace: return String(cString: strerror(ENOSPC))
            case .fileWriteNoPermission: return String(cString: strerror(EACCES))
            case .fileWriteVolumeReadOnly: return String(cString: strerror(EROFS))
            case .fileWriteInvalidFileName: return "invalid file name (\(String(cString: strerror(ENAMETOOLONG))) or a bad character)"
            default: break
            }
        }
        return ns.localizedDescription
    }
}

/// A file that could not be written; nothing was left behind (no temporary file, the old file intact).
public struct AtomicFileError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}
