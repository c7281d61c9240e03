import Foundation
import TensorModule

/// Wall-clock timing of a closure.
enum Stopwatch {
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// Seconds taken by `body` and its result.
    static func time<T>(_ body: () throws -> T) rethrows -> (seconds: Double, value: T) {
        let clock = ContinuousClock(), start = clock.now
        let value = try body()
        return (seconds(clock.now - start), value)
    }

    /// The median of the timings of `repetitions` runs of `body` (its argument is the 0-based run).
    static func median(_ repetitions: Int, _ body: (Int) -> Void) -> (median: Double, all: [Double]) {
        var all: [Double] = []
        for r in 0..<max(1, repetitions) { all.append(time { body(r) }.seconds) }
        let sorted = all.sorted()
        return (sorted[sorted.count / 2], all)
    }
}

/// Resident memory of this process, from `/proc/self/status` (kB fields, reported in bytes).
enum ProcessMemory {
    /// `VmHWM`: the peak resident set size. Nil where /proc is absent.
    static var peakResidentBytes: Int? { field("VmHWM") }
    /// `VmRSS`: the current resident set size.
    static var residentBytes: Int? { field("VmRSS") }

    /// `getrusage` `ru_maxrss` (kilobytes on Linux), the portable fallback.
    static var maxRSSBytes: Int {
        var usage = rusage()
        #if os(Linux)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        #if os(Linux)
        return Int(usage.ru_maxrss) * 1024
        #else
        return Int(usage.ru_maxrss)
        #endif
    }

    private static func field(_ name: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            let digits = line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces).split(separator: " ").first
            if let digits, let kilobytes = Int(digits) { return kilobytes * 1024 }
        }
        return nil
    }
}

/// Where the bench runs: project folder, commit, machine.
enum BenchEnvironment {
    /// The checkout this bench was compiled from (`Sources/LatentOTBench/Support.swift` → root).
    static let projectFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `bench/` in the project: the PyTorch script and the recorded baseline steps.
    static var benchFolder: URL { projectFolder.appendingPathComponent("bench") }

    /// Output of a command (nil when it cannot run or fails).
    static func run(_ executable: String, _ arguments: [String], in folder: URL? = nil) -> (status: Int32, output: String)? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        if let folder { process.currentDirectoryURL = folder }
        let pipe = Pipe(), errors = Pipe()
        process.standardOutput = pipe
        process.standardError = errors
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        _ = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// `git rev-parse --short HEAD` of the project, with `+dirty` when the work tree has changes.
    static var commit: String {
        guard let head = run("git", ["rev-parse", "--short", "HEAD"], in: projectFolder), head.status == 0 else {
            return "unknown"
        }
        let hash = head.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let dirty = run("git", ["status", "--porcelain", "--untracked-files=no"], in: projectFolder)
        return hash + ((dirty?.output.isEmpty ?? true) ? "" : "+dirty")
    }

    static var cpuModel: String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        }
        return "unknown"
    }

    /// The 1, 5 and 15 minute load averages (`/proc/loadavg`): other work on the machine.
    static var loadAverage: String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "unknown" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    static var today: String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: Date())
    }

    static var timestamp: String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date())
    }
}

/// Progress lines on standard error, so standard output holds only the JSON lines and the table.
func log(_ message: String) {
    FileHandle.standardError.write(Data(("[bench] " + message + "\n").utf8))
}

/// A short fixed-precision rendering for the table.
func format(_ value: Double?, digits: Int = 3) -> String {
    guard let value, value.isFinite else { return "—" }
    if value == 0 { return "0" }
    let magnitude = abs(value)
    if magnitude >= 1000 { return String(format: "%.0f", value) }
    if magnitude >= 100 { return String(format: "%.1f", value) }
    if magnitude >= 1 { return String(format: "%.\(max(0, digits - 1))f", value) }
    return String(format: "%.\(digits)g", value)
}
