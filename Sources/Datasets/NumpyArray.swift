import Foundation

/// An array in NumPy's `.npy` format (little-endian, C order).
///
/// Layout:
/// ```
/// 93 'N' 'U' 'M' 'P' 'Y'        magic
/// major minor                   version: 1.0 (UInt16 header length), 2.0 or 3.0 (UInt32)
/// header                        a Python dict literal, e.g.
///                               {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
///                               padded with spaces and a newline so the data starts on a 64-byte boundary
/// data                          row-major, product(shape) elements
/// ```
/// Reading accepts versions 1.0 to 3.0; writing produces version 1.0, as `numpy.save` does.
/// Refused: Fortran order, big-endian and object or structured data types, truncated data,
/// and trailing bytes.
public struct NumpyArray: Equatable, Sendable {
    /// The element types read and written, with their NumPy `descr`.
    public enum DataType: String, CaseIterable, Sendable {
        case float32 = "<f4", float64 = "<f8", uint8 = "|u1", int32 = "<i4", int64 = "<i8", bool = "|b1"

        /// Bytes per element.
        public var byteCount: Int {
            switch self {
            case .uint8, .bool: return 1
            case .int32, .float32: return 4
            case .int64, .float64: return 8
            }
        }

        /// The type for a `descr`, accepting NumPy's spellings of byte order for one-byte types
        /// ('|u1', '<u1', '=u1') and '=' for little-endian on this machine.
        init?(descr: String) {
            guard descr.count >= 2 else { return nil }
            var order = descr.first!
            let code = String(descr.dropFirst())
            if order == "=" { order = "<" }
            switch (order, code) {
            case ("<", "f4"): self = .float32
            case ("<", "f8"): self = .float64
            case ("<", "i4"): self = .int32
            case ("<", "i8"): self = .int64
            case ("|", "u1"), ("<", "u1"), (">", "u1"): self = .uint8
            case ("|", "b1"), ("<", "b1"), (">", "b1"): self = .bool
            default: return nil
            }
        }
    }

    /// The elements, row-major, in their stored type.
    public enum Storage: Equatable, Sendable {
        case float32([Float]), float64([Double]), uint8([UInt8]), int32([Int32]), int64([Int64]), bool([Bool])

        public var count: Int {
            switch self {
            case .float32(let v): return v.count
            case .float64(let v): return v.count
            case .uint8(let v): return v.count
            case .int32(let v): return v.count
            case .int64(let v): return v.count
            case .bool(let v): return v.count
            }
        }

        public var dataType: DataType {
            switch self {
            case .float32: return .float32
            case .float64: return .float64
            case .uint8: return .uint8
            case .int32: return .int32
            case .int64: return .int64
            case .bool: return .bool
            }
        }
    }

    /// The size of each axis, outermost first; [] for a scalar.
    public let shape: [Int]
    /// The elements.
    public let storage: Storage
    /// Where the array came from, for error messages ("<memory>" when built in code).
    /// Not part of equality.
    public var source: String

    /// An array of the given shape; `storage` must hold exactly product(shape) elements.
    public init(shape: [Int], storage: Storage, source: String = "<memory>") {
        precondition(shape.allSatisfy { $0 >= 0 }, "NumpyArray: negative extent in shape \(shape)")
        precondition(FileBytes.checkedProduct(shape) == storage.count,
                     "NumpyArray: shape \(shape) needs \(FileBytes.checkedProduct(shape) ?? -1) elements, got \(storage.count)")
        self.shape = shape
        self.storage = storage
        self.source = source
    }

    /// A float32 array.
    public init(shape: [Int], floats: [Float]) { self.init(shape: shape, storage: .float32(floats)) }

    public static func == (lhs: NumpyArray, rhs: NumpyArray) -> Bool {
        lhs.shape == rhs.shape && lhs.storage == rhs.storage
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

    /// The elements converted to `Double`, NaN and infinities included (int64 beyond 2^53 rounds).
    /// Use `floatValues()` for values that must be finite.
    public var doubleValues: [Double] {
        switch storage {
        case .float32(let v): return v.map { Double($0) }
        case .float64(let v): return v
        case .uint8(let v): return v.map { Double($0) }
        case .int32(let v): return v.map { Double($0) }
        case .int64(let v): return v.map { Double($0) }
        case .bool(let v): return v.map { $0 ? 1 : 0 }
        }
    }

    /// The elements as `Float`, refusing NaN and infinities (float64 values beyond Float's range
    /// become infinite and are refused too).
    /// - Throws: `DatasetError.nonFiniteValue` naming the flat index of the first bad value.
    public func floatValues() throws(DatasetError) -> [Float] {
        let values: [Float]
        switch storage {
        case .float32(let v): values = v
        case .float64(let v): values = v.map { Float($0) }
        case .uint8(let v): return v.map { Float($0) }
        case .int32(let v): return v.map { Float($0) }
        case .int64(let v): return v.map { Float($0) }
        case .bool(let v): return v.map { $0 ? 1 : 0 }
        }
        if let index = values.firstIndex(where: { !$0.isFinite }) {
            let original: String
            if case .float64(let v) = storage { original = "\(v[index])" } else { original = "\(values[index])" }
            throw .nonFiniteValue(file: source, field: "data", index: index, found: original)
        }
        return values
    }

    /// The elements as `Int` if the type is an integer or bool type, nil for floating point.
    public var integerValues: [Int]? {
        switch storage {
        case .uint8(let v): return v.map { Int($0) }
        case .int32(let v): return v.map { Int($0) }
        case .int64(let v): return v.map { Int($0) }
        case .bool(let v): return v.map { $0 ? 1 : 0 }
        case .float32, .float64: return nil
        }
    }

    // MARK: Reading

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] // \x93NUMPY

    /// Reads a `.npy` file (gzip-compressed too, detected from its bytes).
    public static func read(_ url: URL, sizeLimit: Int = Gzip.defaultSizeLimit) throws(DatasetError) -> NumpyArray {
        try decode(try FileBytes.read(url), source: url.path, sizeLimit: sizeLimit)
    }

    /// Decodes `.npy` bytes. The header's claimed size is checked against the bytes present before
    /// anything is allocated.
    /// - Parameter source: the file name used in error messages.
    public static func decode(_ data: Data, source: String, sizeLimit: Int = Gzip.defaultSizeLimit) throws(DatasetError) -> NumpyArray {
        let bytes = try Gzip.decompressIfCompressed(data, source: source, sizeLimit: sizeLimit)
        return try bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(DatasetError) -> NumpyArray in
            let (header, dataType, dataStart) = try preamble(raw, source: source, bytes: bytes)
            let available = raw.count - dataStart
            guard let count = FileBytes.checkedProduct(header.shape),
                  let byteCount = FileBytes.checkedProduct([count, dataType.byteCount]) else {
                throw .claimedSizeTooLarge(file: source, field: "shape",
                                           claimed: FileBytes.describeProduct(header.shape, elementSize: dataType.byteCount),
                                           availableBytes: available)
            }
            if byteCount > available {
                if byteCount > 2 * available + 1024 {
                    throw .claimedSizeTooLarge(file: source, field: "shape",
                                               claimed: FileBytes.describeProduct(header.shape, elementSize: dataType.byteCount),
                                               availableBytes: available)
                }
                throw .truncated(file: source, field: "data", expectedBytes: dataStart + byteCount, foundBytes: raw.count)
            }
            guard byteCount == available else {
                throw .wrongShape(file: source, field: "shape",
                                  expected: "\(byteCount) data bytes for shape \(header.shape) of '\(header.descr)'",
                                  found: "\(available) bytes (\(available - byteCount) extra)")
            }
            let storage: Storage
            switch dataType {
            case .uint8:
                storage = .uint8(Array(UnsafeRawBufferPointer(rebasing: raw[dataStart...])))
            case .bool:
                storage = .bool(UnsafeRawBufferPointer(rebasing: raw[dataStart...]).map { $0 != 0 })
            case .int32:
                storage = .int32(ByteOrder.decode(Int32.self, from: raw, offset: dataStart, count: count, order: .little))
            case .int64:
                storage = .int64(ByteOrder.decode(Int64.self, from: raw, offset: dataStart, count: count, order: .little))
            case .float32:
                storage = .float32(ByteOrder.decode(UInt32.self, from: raw, offset: dataStart, count: count, order: .little)
                    .map { Float(bitPattern: $0) })
            case .float64:
                storage = .float64(ByteOrder.decode(UInt64.self, from: raw, offset: dataStart, count: count, order: .little)
                    .map { Double(bitPattern: $0) })
            }
            return NumpyArray(shape: header.shape, storage: storage, source: source)
        }
    }

    /// The length of the preamble (magic, version, header length and header) from its first 12
    /// bytes or fewer: how much `preamble` needs.
    static func preambleLength(_ raw: UnsafeRawBufferPointer) -> Int? {
        guard raw.count >= 10, raw.starts(with: magic) else { return nil }
        switch raw[6] {
        case 1: return 10 + Int(raw.littleEndianUInt16(at: 8))
        case 2, 3: return raw.count >= 12 ? 12 + Int(raw.littleEndianUInt32(at: 8)) : nil
        default: return nil
        }
    }

    /// Checks the magic, version and header of `.npy` bytes (`raw` holds at least the preamble):
    /// the header, its data type (little-endian, C order) and where the data starts.
    static func preamble(_ raw: UnsafeRawBufferPointer, source: String,
                         bytes: Data) throws(DatasetError) -> (NumpyHeader, DataType, Int) {
        guard raw.count >= 8 else {
            if raw.count < magic.count || !raw.starts(with: magic) {
                throw .wrongMagic(file: source, field: "magic string", expected: "93 4e 55 4d 50 59 (\\x93NUMPY)",
                                  found: FileBytes.hexPrefix(bytes, count: 6))
            }
            throw .truncated(file: source, field: "version", expectedBytes: 8, foundBytes: raw.count)
        }
        guard raw.starts(with: magic) else {
            throw .wrongMagic(file: source, field: "magic string", expected: "93 4e 55 4d 50 59 (\\x93NUMPY)",
                              found: FileBytes.hexPrefix(bytes, count: 6))
        }
        let major = raw[6], minor = raw[7]
        let lengthSize: Int
        switch major {
        case 1: lengthSize = 2
        case 2, 3: lengthSize = 4
        default:
            throw .unparseableHeader(file: source, field: "version", reason: "versions 1.0, 2.0 and 3.0 are known",
                                     found: "version \(major).\(minor)")
        }
        guard raw.count >= 8 + lengthSize else {
            throw .truncated(file: source, field: "header length", expectedBytes: 8 + lengthSize, foundBytes: raw.count)
        }
        let headerLength = lengthSize == 2 ? Int(raw.littleEndianUInt16(at: 8)) : Int(raw.littleEndianUInt32(at: 8))
        let headerStart = 8 + lengthSize
        guard raw.count >= headerStart + headerLength else {
            throw .truncated(file: source, field: "header", expectedBytes: headerStart + headerLength, foundBytes: raw.count)
        }
        let headerBytes = UnsafeRawBufferPointer(rebasing: raw[headerStart..<(headerStart + headerLength)])
        let headerText = major == 3 ? String(decoding: headerBytes, as: UTF8.self)
                                    : String(headerBytes.map { Character(Unicode.Scalar($0)) })
        let header = try NumpyHeader.parse(headerText, source: source)

        guard !header.fortranOrder else { throw .fortranOrder(file: source, field: "fortran_order") }
        guard let dataType = DataType(descr: header.descr) else {
            if header.descr.hasPrefix(">"), DataType(descr: "<" + header.descr.dropFirst()) != nil {
                throw .bigEndian(file: source, field: "descr", found: "'\(header.descr)'")
            }
            throw .unsupportedDataType(file: source, field: "descr", found: "'\(header.descr)'",
                                       supported: DataType.allCases.map { "'\($0.rawValue)'" })
        }
        return (header, dataType, headerStart + headerLength)
    }

    // MARK: Writing

    /// The `.npy` bytes of this array: version 1.0, little-endian, C order, the header padded
    /// with spaces and a newline so the data starts at a multiple of 64 bytes (as `numpy.save`).
    public func encode() -> Data {
        let shapeText: String
        switch shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(shape[0]),)"
        default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = "{'descr': '\(dataType.rawValue)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = Self.magic.count + 2 + 2 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        precondition(header.utf8.count <= Int(UInt16.max), "NumpyArray.encode: header too long for version 1.0")

        var data = Data(Self.magic + [1, 0])
        ByteOrder.append([UInt16(header.utf8.count)], to: &data, order: .little)
        data.append(contentsOf: Array(header.utf8))
        switch storage {
        case .uint8(let v): data.append(contentsOf: v)
        case .bool(let v): data.append(contentsOf: v.map { $0 ? 1 : 0 })
        case .int32(let v): ByteOrder.append(v, to: &data, order: .little)
        case .int64(let v): ByteOrder.append(v, to: &data, order: .little)
        case .float32(let v): ByteOrder.append(v.map(\.bitPattern), to: &data, order: .little)
        case .float64(let v): ByteOrder.append(v.map(\.bitPattern), to: &data, order: .little)
        }
        return data
    }
}

/// The three entries of a `.npy` header dict.
struct NumpyHeader: Equatable {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]

    /// Parses a header such as `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
    /// Accepts either quote, any whitespace, trailing commas, and Python 2's `3L` integers.
    static func parse(_ text: String, source: String) throws(DatasetError) -> NumpyHeader {
        var parser = Parser(scalars: Array(text.unicodeScalars), source: source, text: text)
        return try parser.parseHeader()
    }

    private struct Parser {
        let scalars: [Unicode.Scalar]
        let source: String
        let text: String
        var position = 0

        func fail(_ reason: String, field: String = "header") -> DatasetError {
            let shown = text.trimmingCharacters(in: .whitespacesAndNewlines)
            return .unparseableHeader(file: source, field: field, reason: reason,
                                      found: "\"\(shown.prefix(120))\(shown.count > 120 ? "…" : "")\"")
        }

        mutating func skipWhitespace() {
            while position < scalars.count, scalars[position].properties.isWhitespace { position += 1 }
        }

        mutating func expect(_ character: Unicode.Scalar) throws(DatasetError) {
            skipWhitespace()
            guard position < scalars.count, scalars[position] == character else {
                let found = position < scalars.count ? "'\(scalars[position])'" : "the end"
                throw fail("expected '\(character)' at character \(position), found \(found)")
            }
            position += 1
        }

        mutating func peek() -> Unicode.Scalar? {
            skipWhitespace()
            return position < scalars.count ? scalars[position] : nil
        }

        mutating func parseString() throws(DatasetError) -> String {
            skipWhitespace()
            guard position < scalars.count, scalars[position] == "'" || scalars[position] == "\"" else {
                throw fail("expected a quoted string at character \(position)")
            }
            let quote = scalars[position]
            position += 1
            var result = String.UnicodeScalarView()
            while position < scalars.count, scalars[position] != quote {
                result.append(scalars[position])
                position += 1
            }
            guard position < scalars.count else { throw fail("a string is not closed") }
            position += 1
            return String(result)
        }

        mutating func parseWord() -> String {
            skipWhitespace()
            var result = String.UnicodeScalarView()
            while position < scalars.count,
                  scalars[position].properties.isAlphabetic || scalars[position].properties.numericType != nil
                    || scalars[position] == "_" || scalars[position] == "-" {
                result.append(scalars[position])
                position += 1
            }
            return String(result)
        }

        mutating func parseShape() throws(DatasetError) -> [Int] {
            try expect("(")
            var shape: [Int] = []
            while peek() != ")" {
                var word = parseWord()
                if word.hasSuffix("L") { word.removeLast() }
                guard let value = Int(word), value >= 0 else {
                    throw fail("expected a non-negative integer in the shape, found '\(word)'", field: "shape")
                }
                shape.append(value)
                if peek() == "," { position += 1 } else { break }
            }
            try expect(")")
            return shape
        }

        mutating func parseHeader() throws(DatasetError) -> NumpyHeader {
            try expect("{")
            var descr: String?, fortranOrder: Bool?, shape: [Int]?
            while peek() != "}" {
                let key = try parseString()
                try expect(":")
                switch key {
                case "descr":
                    guard peek() == "'" || peek() == "\"" else {
                        throw fail("'descr' is not a simple type string (a structured data type?)", field: "descr")
                    }
                    descr = try parseString()
                case "fortran_order":
                    let word = parseWord()
                    guard word == "True" || word == "False" else {
                        throw fail("expected True or False, found '\(word)'", field: "fortran_order")
                    }
                    fortranOrder = word == "True"
                case "shape":
                    shape = try parseShape()
                default:
                    throw fail("unknown key '\(key)'")
                }
                if peek() == "," { position += 1 } else { break }
            }
            try expect("}")
            guard let descr else { throw fail("missing key 'descr'", field: "descr") }
            guard let fortranOrder else { throw fail("missing key 'fortran_order'", field: "fortran_order") }
            guard let shape else { throw fail("missing key 'shape'", field: "shape") }
            return NumpyHeader(descr: descr, fortranOrder: fortranOrder, shape: shape)
        }
    }
}
