import Foundation

/// Runs the built `latentot` binary (the one `swift build --build-tests` produced next to the tests).
enum ToolRunner {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var binary: URL? {
        if let path = ProcessInfo.processInfo.environment["LATENTOT_BINARY"] { return URL(fileURLWithPath: path) }
        for configuration in ["release", "debug"] {
            let url = packageRoot.appendingPathComponent(".build/\(configuration)/latentot")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }

    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    static func run(_ arguments: [String], in folder: URL? = nil, environment: [String: String] = [:]) throws -> Result {
        guard let binary else { throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "latentot binary (build it first)"]) }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if let folder { process.currentDirectoryURL = folder }
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: outData, as: UTF8.self),
                      error: String(decoding: errData, as: UTF8.self))
    }

    /// A new empty folder under the temporary directory.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("latentot-tool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes a NumPy v1.0 file by hand (independent of the Datasets writer).
    static func writeNumpy(_ url: URL, descr: String, shape: [Int], fortran: Bool = false, payload: Data) throws {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shapeText), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93]) + Data("NUMPY".utf8) + Data([1, 0])
        let length = UInt16(header.utf8.count)
        data += Data([UInt8(length & 0xFF), UInt8(length >> 8)]) + Data(header.utf8) + payload
        try data.write(to: url)
    }

    static func float32Payload(_ values: [Float]) -> Data {
        var data = Data()
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data += $0 } }
        return data
    }

    static func float64Payload(_ values: [Double]) -> Data {
        var data = Data()
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data += $0 } }
        return data
    }
}
