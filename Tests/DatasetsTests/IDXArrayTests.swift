import Testing
import Foundation
import Datasets

@Suite struct IDXArrayTests {
    static let examples: [IDXArray] = [
        IDXArray(dimensions: [2, 3], storage: .uint8([0, 1, 2, 127, 128, 255])),
        IDXArray(dimensions: [4], storage: .int8([-128, -1, 0, 127])),
        IDXArray(dimensions: [2, 2], storage: .int16([-32768, -2, 300, 32767])),
        IDXArray(dimensions: [3], storage: .int32([Int32.min, 0, 1 << 24 + 7])),
        IDXArray(dimensions: [1, 3], storage: .float32([-1.5, 0, 3.25e-7])),
        IDXArray(dimensions: [2], storage: .float64([Double.pi, -1e300])),
        IDXArray(dimensions: [0, 5], storage: .uint8([])),
        IDXArray(dimensions: [], storage: .uint8([42])),
    ]

    @Test(arguments: examples)
    func roundTripsEveryType(array: IDXArray) throws {
        let encoded = array.encode()
        #expect(try IDXArray.decode(encoded, source: "a.idx") == array)
        #expect(try IDXArray.decode(Gzip.compress(encoded), source: "a.idx.gz") == array)
        #expect(encoded.count == 4 + 4 * array.dimensions.count + array.elementCount * array.dataType.byteCount)
    }

    /// The layout is big-endian: magic 00 00 type rank, then UInt32 sizes, then data.
    @Test func encodingIsBigEndian() {
        let bytes = [UInt8](IDXArray(dimensions: [1, 2], storage: .int16([1, -2])).encode())
        #expect(bytes == [0, 0, 0x0B, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0x00, 0x01, 0xFF, 0xFE])
        let float = [UInt8](IDXArray(dimensions: [1], storage: .float32([1])).encode())
        #expect(Array(float.suffix(4)) == [0x3F, 0x80, 0, 0])
    }

    @Test func accessorsConvert() throws {
        let bytes = IDXArray(dimensions: [2], storage: .uint8([3, 250]))
        #expect(bytes.uint8Values == [3, 250])
        #expect(bytes.doubleValues == [3, 250])
        #expect(IDXArray(dimensions: [1], storage: .int16([-5])).uint8Values == nil)
        #expect(IDXArray(dimensions: [1], storage: .int16([-5])).doubleValues == [-5])
    }

    @Test func truncatedHeaderAndDataAreNamed() {
        let encoded = IDXArray(dimensions: [10, 10], storage: .uint8([UInt8](repeating: 7, count: 100))).encode()
        let short = #expect(throws: DatasetError.self) { try IDXArray.decode(encoded.prefix(2), source: "s.idx") }
        #expect(short == .truncated(file: "s.idx", field: "magic number", expectedBytes: 4, foundBytes: 2))
        let header = #expect(throws: DatasetError.self) { try IDXArray.decode(encoded.prefix(9), source: "h.idx") }
        #expect(header == .truncated(file: "h.idx", field: "dimension sizes", expectedBytes: 12, foundBytes: 9))
        let data = #expect(throws: DatasetError.self) { try IDXArray.decode(encoded.prefix(100), source: "d.idx") }
        #expect(data == .truncated(file: "d.idx", field: "data", expectedBytes: 112, foundBytes: 100))
        #expect(data?.description == "d.idx: data: truncated: expected 112 bytes, found 100. Hint: the file is cut short: copy or download it again.")
    }

    @Test func wrongMagicAndUnknownTypeAreNamed() {
        let wrong = #expect(throws: DatasetError.self) { try IDXArray.decode(Data([0x12, 0x34, 0x08, 1, 0, 0, 0, 0]), source: "w.idx") }
        #expect(wrong == .wrongMagic(file: "w.idx", field: "magic number", expected: "00 00 <type> <rank>", found: "12 34 08 01"))
        let type = #expect(throws: DatasetError.self) { try IDXArray.decode(Data([0, 0, 0x0A, 1, 0, 0, 0, 0]), source: "t.idx") }
        guard case .unsupportedDataType(let file, let field, let found, let supported) = type else {
            Issue.record("expected unsupportedDataType, got \(String(describing: type))"); return
        }
        #expect(file == "t.idx" && field == "type byte" && found == "0x0a" && supported.count == 6)
    }

    /// A header claiming 2^31 × 28 × 28 bytes in a 100-byte file is refused from the header alone
    /// (allocating first would need 1.6 TB).
    @Test func aHugeClaimedSizeIsRefusedBeforeAllocating() {
        var bytes: [UInt8] = [0, 0, 0x08, 3] + Fixtures.bigEndian(1 << 31) + Fixtures.bigEndian(28) + Fixtures.bigEndian(28)
        bytes += [UInt8](repeating: 0, count: 100 - bytes.count)
        let error = #expect(throws: DatasetError.self) { try IDXArray.decode(Data(bytes), source: "huge.idx") }
        #expect(error == .claimedSizeTooLarge(file: "huge.idx", field: "dimension sizes",
                                              claimed: "2147483648 × 28 × 28 × 1 bytes = 1683627180032 bytes", availableBytes: 84))
        #expect(error?.description.hasPrefix("huge.idx: dimension sizes: the header claims 2147483648 × 28 × 28 × 1 bytes") == true)
        // Sizes whose product overflows Int are refused the same way.
        let overflow: [UInt8] = [0, 0, 0x0E, 3] + Fixtures.bigEndian(UInt32.max) + Fixtures.bigEndian(UInt32.max) + Fixtures.bigEndian(UInt32.max)
        let overflowError = #expect(throws: DatasetError.self) { try IDXArray.decode(Data(overflow), source: "o.idx") }
        #expect(overflowError?.description.contains("more than \(Int.max)") == true)
    }

    @Test func trailingBytesAreAShapeMismatch() {
        let encoded = IDXArray(dimensions: [3], storage: .uint8([1, 2, 3])).encode() + Data([9, 9])
        let error = #expect(throws: DatasetError.self) { try IDXArray.decode(encoded, source: "x.idx") }
        guard case .wrongShape(let file, let field, _, let found) = error else {
            Issue.record("expected wrongShape, got \(String(describing: error))"); return
        }
        #expect(file == "x.idx" && field == "data" && found == "5 bytes (2 extra)")
    }

    @Test func nonFiniteFloatsAreRefusedWithTheirIndex() throws {
        let array = try IDXArray.decode(IDXArray(dimensions: [4], storage: .float32([0, 0.5, .nan, .infinity])).encode(), source: "n.idx")
        let error = #expect(throws: DatasetError.self) { try array.floatValues() }
        #expect(error == .nonFiniteValue(file: "n.idx", field: "data", index: 2, found: "nan"))
        #expect(try IDXArray(dimensions: [2], storage: .float64([1, 2])).floatValues() == [1, 2])
    }

    @Test func aMissingFileIsUnreadable() {
        let error = #expect(throws: DatasetError.self) { try IDXArray.read(URL(fileURLWithPath: "/nonexistent/a.idx")) }
        #expect(error == .unreadable(file: "/nonexistent/a.idx", reason: "no such file"))
    }
}
