import Foundation

/// An array in the IDX format of the MNIST files (LeCun et al.).
///
/// Layout, all big-endian:
/// ```
/// 00 00 <type> <rank>          magic: two zero bytes, the element type code, the number of dimensions
/// <size 0> … <size rank-1>     one UInt32 per dimension
/// data                         row-major, product(sizes) elements
/// ```
/// Type codes: 08 uint8, 09 int8, 0B int16, 0C int32, 0D float32, 0E float64.
/// Files may be gzip-compressed; the reader detects that from the bytes 1f 8b, not the name.
public struct IDXArray: Equatable, Sendable {
    /// The element type and its IDX code.
    public enum DataType: UInt8, CaseIterable, Sendable, CustomStringConvertible {
        case uint8 = 0x08, int8 = 0x09, int16 = 0x0B, int32 = 0x0C, float32 = 0x0D, float64 = 0x0E

        /// Bytes per element.
        public var byteCount: Int {
            switch self {
            case .uint8, .int8: return 1
            case .int16: return 2
            case .int32, .float32: return 4
            case .float64: return 8
            }
        }

        public var description: String {
            switch self {
            case .uint8: return "uint8 (0x08)"
            case .int8: return "int8 (0x09)"
            case .int16: return "int16 (0x0b)"
            case .int32: return "int32 (0x0c)"
            case .float32: return "float32 (0x0d)"
            case .float64: return "float64 (0x0e)"
            }
        }
    }

    /// The elements, row-major, in their stored type.
    public enum Storage: Equatable, Sendable {
        case uint8([UInt8]), int8([Int8]), int16([Int16]), int32([Int32]), float32([Float]), float64([Double])

        public var count: Int {
            switch self {
            case .uint8(let v): return v.count
            case .int8(let v): return v.count
            case .int16(let v): return v.count
            case .int32(let v): return v.count
            case .float32(let v): return v.count
            case .float64(let v): return v.count
            }
        }

        public var dataType: DataType {
            switch self {
            case .uint8: return .uint8
            case .int8: return .int8
            case .int16: return .int16
            case .int32: return .int32
            case .float32: return .float32
            case .float64: return .float64
            }
        }
    }

    /// The size of each dimension, outermost first (e.g. [60000, 28, 28] for MNIST images).
    public let dimensions: [Int]
    /// The elements.
    public let storage: Storage
    /// Where the array came from, for error messages ("<memory>" when built in code).
    /// Not part of equality.
    public var source: String

    /// An array of the given dimensions; `storage` must hold exactly their product of elements.
    public init(dimensions: [Int], storage: Storage, source: String = "<memory>") {
        precondition(dimensions.count <= 255, "IDXArray: at most 255 dimensions, got \(dimensions.count)")
        precondition(dimensions.allSatisfy { $0 >= 0 && $0 <= Int(UInt32.max) },
                     "IDXArray: each dimension must be in 0...\(UInt32.max), got \(dimensions)")
        precondition(FileBytes.checkedProduct(dimensions) == storage.count,
                     "IDXArray: dimensions \(dimensions) need \(FileBytes.checkedProduct(dimensions) ?? -1) elements, got \(storage.count)")
        self.dimensions = dimensions
        self.storage = storage
        self.source = source
    }

    public static func == (lhs: IDXArray, rhs: IDXArray) -> Bool {
        lhs.dimensions == rhs.dimensions && lhs.storage == rhs.storage
    }

    /// The element type.
    public var dataType: DataType { storage.dataType }
    /// The number of elements.
    public var elementCount: Int { storage.count }

    /// The elements if they are stored as uint8, nil otherwise.
    public var uint8Values: [UInt8]? {
        if case .uint8(let values) = storage { return values }
        return nil
    }

    /// The elements converted to `Double` (exact for every IDX type), NaN and infinities included.
    /// Use `floatValues()` for values that must be finite.
    public var doubleValues: [Double] {
        switch storage {
        case .uint8(let v): return v.map { Double($0) }
        case .int8(let v): return v.map { Double($0) }
        case .int16(let v): return v.map { Double($0) }
        case .int32(let v): return v.map { Double($0) }
        case .float32(let v): return v.map { Double($0) }
        case .float64(let v): return v
        }
    }

    /// The elements converted to `Float`, refusing NaN and infinities.
    /// - Throws: `DatasetError.nonFiniteValue` naming the flat index of the first bad value.
    public func floatValues() throws(DatasetError) -> [Float] {
        let values: [Float]
        switch storage {
        case .uint8(let v): return v.map { Float($0) }
        case .int8(let v): return v.map { Float($0) }
        case .int16(let v): return v.map { Float($0) }
        case .int32(let v): return v.map { Float($0) }
        case .float32(let v): values = v
        case .float64(let v): values = v.map { Float($0) }
        }
        if let index = values.firstIndex(where: { !$0.isFinite }) {
            throw .nonFiniteValue(file: source, field: "data", index: index, found: "\(values[index])")
        }
        return values
    }

    // MARK: Reading

    /// Reads an IDX file, gzip-compressed or not.
    /// - Parameter sizeLimit: the most bytes a compressed file may decompress to.
    public static func read(_ url: URL, sizeLimit: Int = Gzip.defaultSizeLimit) throws(DatasetError) -> IDXArray {
        try decode(try FileBytes.read(url), source: url.path, sizeLimit: sizeLimit)
    }

    /// Decodes IDX bytes, gzip-compressed or not.
    ///
    /// The header's claimed size is checked against the bytes present before anything is allocated.
    /// - Parameter source: the file name used in error messages.
    /// - Throws: `DatasetError.truncated`, `.wrongMagic`, `.unsupportedDataType`,
    ///   `.claimedSizeTooLarge`, `.wrongShape` (trailing bytes), or a decompression error.
    public static func decode(_ data: Data, source: String, sizeLimit: Int = Gzip.defaultSizeLimit) throws(DatasetError) -> IDXArray {
        let bytes = try Gzip.decompressIfCompressed(data, source: source, sizeLimit: sizeLimit)
        guard bytes.count >= 4 else {
            throw .truncated(file: source, field: "magic number", expectedBytes: 4, foundBytes: bytes.count)
        }
        return try bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(DatasetError) -> IDXArray in
            guard raw[0] == 0, raw[1] == 0 else {
                throw .wrongMagic(file: source, field: "magic number", expected: "00 00 <type> <rank>",
                                  found: FileBytes.hexPrefix(bytes))
            }
            guard let dataType = DataType(rawValue: raw[2]) else {
                throw .unsupportedDataType(file: source, field: "type byte",
                                           found: String(format: "0x%02x", raw[2]),
                                           supported: DataType.allCases.map(\.description))
            }
            let rank = Int(raw[3])
            let headerSize = 4 + 4 * rank
            guard raw.count >= headerSize else {
                throw .truncated(file: source, field: "dimension sizes", expectedBytes: headerSize, foundBytes: raw.count)
            }
            let dimensions = (0..<rank).map { Int(raw.bigEndianUInt32(at: 4 + 4 * $0)) }
            let available = raw.count - headerSize
            guard let count = FileBytes.checkedProduct(dimensions),
                  let byteCount = FileBytes.checkedProduct([count, dataType.byteCount]) else {
                throw .claimedSizeTooLarge(file: source, field: "dimension sizes",
                                           claimed: FileBytes.describeProduct(dimensions, elementSize: dataType.byteCount),
                                           availableBytes: available)
            }
            if byteCount > available {
                // A header claiming far more than the file holds is corrupt; one a little short is a cut file.
                if byteCount > 2 * available + 1024 {
                    throw .claimedSizeTooLarge(file: source, field: "dimension sizes",
                                               claimed: FileBytes.describeProduct(dimensions, elementSize: dataType.byteCount),
                                               availableBytes: available)
                }
                throw .truncated(file: source, field: "data", expectedBytes: headerSize + byteCount, foundBytes: raw.count)
            }
            guard byteCount == available else {
                throw .wrongShape(file: source, field: "data",
                                  expected: "\(byteCount) data bytes for dimensions \(dimensions)",
                                  found: "\(available) bytes (\(available - byteCount) extra)")
            }
            let storage: Storage
            switch dataType {
            case .uint8:
                storage = .uint8(Array(UnsafeRawBufferPointer(rebasing: raw[headerSize...])))
            case .int8:
                storage = .int8(ByteOrder.decode(Int8.self, from: raw, offset: headerSize, count: count, order: .big))
            case .int16:
                storage = .int16(ByteOrder.decode(Int16.self, from: raw, offset: headerSize, count: count, order: .big))
            case .int32:
                storage = .int32(ByteOrder.decode(Int32.self, from: raw, offset: headerSize, count: count, order: .big))
            case .float32:
                storage = .float32(ByteOrder.decode(UInt32.self, from: raw, offset: headerSize, count: count, order: .big)
                    .map { Float(bitPattern: $0) })
            case .float64:
                storage = .float64(ByteOrder.decode(UInt64.self, from: raw, offset: headerSize, count: count, order: .big)
                    .map { Double(bitPattern: $0) })
            }
            return IDXArray(dimensions: dimensions, storage: storage, source: source)
        }
    }

    // MARK: Writing

    /// The IDX bytes of this array (uncompressed; wrap in `Gzip.compress` for a .gz file).
    public func encode() -> Data {
        var data = Data([0, 0, dataType.rawValue, UInt8(dimensions.count)])
        ByteOrder.append(dimensions.map { UInt32($0) }, to: &data, order: .big)
        switch storage {
        case .uint8(let v): data.append(contentsOf: v)
        case .int8(let v): ByteOrder.append(v, to: &data, order: .big)
        case .int16(let v): ByteOrder.append(v, to: &data, order: .big)
        case .int32(let v): ByteOrder.append(v, to: &data, order: .big)
        case .float32(let v): ByteOrder.append(v.map(\.bitPattern), to: &data, order: .big)
        case .float64(let v): ByteOrder.append(v.map(\.bitPattern), to: &data, order: .big)
        }
        return data
    }
}
