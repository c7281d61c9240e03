import Foundation

/// Re-runs this executable with a hidden subcommand, so a measurement (peak memory, a BLAS core
/// type chosen at library load) belongs to that child alone. The child prints one JSON object as
/// its last line of standard output; its standard error passes through.
enum ChildProcess {
    /// This executable (`/proc/self/exe` on Linux, else the path it was started with).
    static var executable: URL {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: CommandLine.arguments[0])
    }

    /// Runs the child with `extra` added to this process's environment (an empty value removes the variable).
    static func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> [String: Any] {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in extra {
            if value.isEmpty { environment.removeValue(forKey: key) } else { environment[key] = value }
        }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw BenchError.failed("child \(arguments.joined(separator: " ")) exited with status \(process.terminationStatus): \(text.suffix(500))")
        }
        guard let line = text.split(separator: "\n").last,
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw BenchError.failed("child \(arguments.joined(separator: " ")) printed no JSON line: \(text.suffix(500))")
        }
        return object
    }
}
