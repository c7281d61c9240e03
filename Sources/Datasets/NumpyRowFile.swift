import Foundation

/// A 2-D float32 or float64 `.npy` (uncompressed, C order) whose rows are read by range, in place:
/// the header once, then one seek and one read per range, so a process that needs a slice of a
/// large file never holds the rest (each rank of a distributed solve reads its own codes).
/// Checks the same header rules as `NumpyArray` and the file's size against the shape.
public struct NumpyRowFile: Sendable {
    public let path: String
    public let rows: Int
    public let columns: Int
    let dataType: NumpyArray.DataType
    let dataOffset: UInt64

    /// Reads and checks the header. Throws `DatasetError` naming the file and the field.
    public init(path: String) throws(DatasetError) {
        self.path = path
        let handle = try Self.open(path)
        defer { try? handle.close() }
        let prefix = Self.read(handle, count: 12)
        if prefix.starts(with: [0x1F, 0x8B]) {
            throw .unsupportedDataType(file: path, field: "compression", found: "gzip-compressed bytes",
                                       supported: ["an uncompressed .npy (rows are read in place): decompress it first"])
        }
        let length = prefix.withUnsafeBytes { NumpyArray.preambleLength($0) } ?? prefix.count
        try? handle.seek(toOffset: 0)
        let preambleBytes = Self.read(handle, count: length)
        let (header, dataType, dataStart) = try preambleBytes.withBytes {
            (raw: UnsafeRawBufferPointer) throws(DatasetError) in
            try NumpyArray.preamble(raw, source: path, bytes: preambleBytes)
        }
        guard dataType == .float32 || dataType == .float64 else {
            throw .unsupportedDataType(file: path, field: "descr", found: "'\(header.descr)'", supported: ["'<f4'", "'<f8'"])
        }
        guard header.shape.count == 2, header.shape[0] > 0, header.shape[1] > 0 else {
            throw .wrongShape(file: path, field: "shape", expected: "a 2-D array with at least one row and one column (n × d)",
                              found: "\(header.shape)")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64) ?? 0
        guard let count = FileBytes.checkedProduct(header.shape + [dataType.byteCount]),
              UInt64(dataStart) + UInt64(count) == size else {
            throw .wrongShape(file: path, field: "shape",
                              expected: "\(FileBytes.describeProduct(header.shape, elementSize: dataType.byteCount)) after the header",
                              found: "\(Int(size) - dataStart) data bytes")
        }
        rows = header.shape[0]
        columns = header.shape[1]
        self.dataType = dataType
        dataOffset = UInt64(dataStart)
    }

    /// Rows `range` as Float, row-major (float64 values rounded to Float). NaN or ±Inf are refused.
    public func read(rows range: Range<Int>) throws(DatasetError) -> [Float] {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "NumpyRowFile.read: rows \(range) of \(rows)")
        let handle = try Self.open(path)
        defer { try? handle.close() }
        let size = dataType.byteCount, count = range.count * columns
        do { try handle.seek(toOffset: dataOffset + UInt64(range.lowerBound * columns * size)) } catch {
            throw .unreadable(file: path, reason: "\(error)")
        }
        let data = Self.read(handle, count: count * size)
        guard data.count == count * size else {
            throw .truncated(file: path, field: "rows \(range)", expectedBytes: count * size, foundBytes: data.count)
        }
        let values: [Float] = data.withUnsafeBytes { raw in
            if size == 4 {
                return ByteOrder.decode(UInt32.self, from: raw, offset: 0, count: count, order: .little).map { Float(bitPattern: $0) }
            }
            return ByteOrder.decode(UInt64.self, from: raw, offset: 0, count: count, order: .little)
                .map { Float(Double(bitPattern: $0)) }
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw .nonFiniteValue(file: path, field: "row \(range.lowerBound + bad / columns), column \(bad % columns)",
                                  index: range.lowerBound * columns + bad, found: "\(values[bad])")
        }
        return values
    }

    private static func open(_ path: String) throws(DatasetError) -> FileHandle {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .unreadable(file: path, reason: FileManager.default.fileExists(atPath: path)
                ? "this process cannot read it" : "no such file")
        }
        return handle
    }

    private static func read(_ handle: FileHandle, count: Int) -> Data {
        (try? handle.read(upToCount: count)) ?? Data()
    }
}
