import Foundation

/// Reading whole files, and the size arithmetic that lets readers refuse absurd headers before
/// allocating anything.
enum FileBytes {
    /// The bytes of the file at `url` (memory-mapped when safe).
    static func read(_ url: URL) throws(DatasetError) -> Data {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            throw .unreadable(file: url.path, reason: "no such file")
        }
        guard !isFolder.boolValue else {
            throw .unreadable(file: url.path, reason: "it is a folder, not a file")
        }
        do {
            return try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw .unreadable(file: url.path, reason: "\(error.localizedDescription)")
        }
    }

    /// The product of `factors`, or nil if it overflows `Int` (or a factor is negative).
    static func checkedProduct(_ factors: [Int]) -> Int? {
        var product = 1
        for factor in factors {
            guard factor >= 0 else { return nil }
            let (result, overflow) = product.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            product = result
        }
        return product
    }

    /// "a × b × c × 4 bytes = N bytes" (or "… bytes, more than Int.max").
    static func describeProduct(_ factors: [Int], elementSize: Int) -> String {
        // A corrupt rank byte can claim 255 dimensions: spell out a few and count the rest.
        let shown = factors.count > 6 ? factors.prefix(4).map(String.init) + ["… (\(factors.count) dimensions)"]
                                      : factors.map(String.init)
        let spelled = (shown + [String(elementSize)]).joined(separator: " × ")
        if let total = checkedProduct(factors + [elementSize]) {
            return "\(spelled) bytes = \(total) bytes"
        }
        return "\(spelled) bytes, more than \(Int.max)"
    }

    /// Up to `count` leading bytes of `data` in hex, e.g. "1f 8b 08".
    static func hexPrefix(_ data: Data, count: Int = 4) -> String {
        if data.isEmpty { return "an empty file" }
        return data.prefix(count).map { String(format: "%02x", $0) }.joined(separator: " ")
    }
}

/// Fixed-width loads from raw bytes without alignment requirements.
extension UnsafeRawBufferPointer {
    @inline(__always) func bigEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    @inline(__always) func littleEndianUInt16(at offset: Int) -> UInt16 {
        UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
    @inline(__always) func littleEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    @inline(__always) func littleEndianUInt64(at offset: Int) -> UInt64 {
        UInt64(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}

/// Conversions between arrays of fixed-width numbers and their bytes in a given byte order.
enum ByteOrder {
    case little, big

    /// Decodes `count` values of `T` from `bytes` starting at `offset`.
    static func decode<T: FixedWidthInteger>(_ type: T.Type, from bytes: UnsafeRawBufferPointer, offset: Int,
                                             count: Int, order: ByteOrder) -> [T] {
        [T](unsafeUninitializedCapacity: count) { buffer, initialised in
            let size = MemoryLayout<T>.size
            for index in 0..<count {
                let raw = bytes.loadUnaligned(fromByteOffset: offset + index * size, as: T.self)
                buffer[index] = order == .big ? T(bigEndian: raw) : T(littleEndian: raw)
            }
            initialised = count
        }
    }

    /// Appends `values` to `data` in the given byte order.
    static func append<T: FixedWidthInteger>(_ values: [T], to data: inout Data, order: ByteOrder) {
        let converted = values.map { order == .big ? $0.bigEndian : $0.littleEndian }
        converted.withUnsafeBytes { data.append(contentsOf: $0) }
    }
}

extension Data {
    /// `withUnsafeBytes` for a body with typed throws (Foundation's version rethrows `any Error`).
    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws(DatasetError) -> Result) throws(DatasetError) -> Result {
        let outcome: Swift.Result<Result, DatasetError> = withUnsafeBytes { raw in
            do throws(DatasetError) { return .success(try body(raw)) } catch { return .failure(error) }
        }
        return try outcome.get()
    }
}
