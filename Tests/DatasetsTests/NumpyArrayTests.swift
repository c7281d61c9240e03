import Testing
import Foundation
import Datasets

@Suite struct NumpyArrayTests {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    static let examples: [NumpyArray] = [
        NumpyArray(shape: [2, 3], storage: .float32([0, -1.5, 2, .leastNonzeroMagnitude, 1e30, 7])),
        NumpyArray(shape: [3], storage: .float64([Double.pi, -0.0, 1e-300])),
        NumpyArray(shape: [2, 2, 1], storage: .uint8([0, 1, 254, 255])),
        NumpyArray(shape: [2], storage: .int32([Int32.min, Int32.max])),
        NumpyArray(shape: [1, 2], storage: .int64([Int64.min, 1 << 40])),
        NumpyArray(shape: [3], storage: .bool([true, false, true])),
        NumpyArray(shape: [], storage: .float32([4])),
        NumpyArray(shape: [0, 4], storage: .float64([])),
    ]

    @Test(arguments: examples)
    func roundTripsEveryType(array: NumpyArray) throws {
        let encoded = array.encode()
        #expect(try NumpyArray.decode(encoded, source: "a.npy") == array)
        #expect(try NumpyArray.decode(Gzip.compress(encoded), source: "a.npy.gz") == array)
        // Version 1.0 header padded so the data starts at a multiple of 64 bytes.
        let headerLength = Int(encoded[8]) | Int(encoded[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        #expect(encoded[10 + headerLength - 1] == 0x0A)
    }

    /// Byte for byte what numpy.save writes for np.array([[1.5, 2], [3, 4]], dtype='<f4').
    @Test func encodingMatchesNumpySave() {
        let numpyHex = "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2032292c207d"
            + String(repeating: "20", count: 58) + "0a0000c03f000000400000404000008040"
        let ours = NumpyArray(shape: [2, 2], floats: [1.5, 2, 3, 4]).encode().map { String(format: "%02x", $0) }.joined()
        #expect(ours == numpyHex)
    }

    @Test func readsVersionTwoAndOtherHeaderSpellings() throws {
        let header = "{\"shape\": (2L,), \"fortran_order\": False,   \"descr\": \"<i4\"}"
        var bytes: [UInt8] = NumpyArrayTests.magic + [2, 0]
        let length = UInt32(header.utf8.count)
        bytes += [UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), 0, 0] + Array(header.utf8)
        bytes += [5, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
        #expect(try NumpyArray.decode(Data(bytes), source: "v2.npy") == NumpyArray(shape: [2], storage: .int32([5, -1])))
    }

    /// Builds a version 1.0 file with the given header text and data bytes.
    static func file(header: String, data: [UInt8]) -> Data {
        var bytes: [UInt8] = NumpyArrayTests.magic + [1, 0]
        let length = UInt16(header.utf8.count)
        bytes += [UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8) + data
        return Data(bytes)
    }

    @Test func fortranOrderIsRefused() {
        let data = Self.file(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1), }\n", data: [0, 0, 0, 0])
        let error = #expect(throws: DatasetError.self) { try NumpyArray.decode(data, source: "f.npy") }
        #expect(error == .fortranOrder(file: "f.npy", field: "fortran_order"))
        #expect(error?.description.contains("numpy.ascontiguousarray") == true)
    }

    @Test func bigEndianObjectAndStructuredTypesAreRefused() {
        let big = Self.file(header: "{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", data: [UInt8](repeating: 0, count: 8))
        #expect(throws: DatasetError.bigEndian(file: "b.npy", field: "descr", found: "'>f8'")) {
            try NumpyArray.decode(big, source: "b.npy")
        }
        let object = Self.file(header: "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", data: [UInt8](repeating: 0, count: 8))
        let objectError = #expect(throws: DatasetError.self) { try NumpyArray.decode(object, source: "o.npy") }
        guard case .unsupportedDataType(let file, let field, let found, _) = objectError else {
            Issue.record("expected unsupportedDataType, got \(String(describing: objectError))"); return
        }
        #expect(file == "o.npy" && field == "descr" && found == "'|O'")
        let structured = Self.file(header: "{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0])
        let structuredError = #expect(throws: DatasetError.self) { try NumpyArray.decode(structured, source: "s.npy") }
        #expect(structuredError?.field == "descr")
    }

    @Test func unparseableHeadersAreNamed() {
        for (header, field) in [("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }", "fortran_order"),
                                ("{'descr': '<f4', 'fortran_order': False, 'shape': (1, -2), }", "shape"),
                                ("{'descr': '<f4', 'fortran_order': False}", "shape"),
                                ("not a dict", "header"),
                                ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", "header")] {
            let error = #expect(throws: DatasetError.self) { try NumpyArray.decode(Self.file(header: header, data: [0, 0, 0, 0]), source: "h.npy") }
            guard case .unparseableHeader(let file, let foundField, _, _) = error else {
                Issue.record("expected unparseableHeader for \(header), got \(String(describing: error))"); continue
            }
            #expect(file == "h.npy" && foundField == field, "header \(header)")
        }
    }

    @Test func wrongMagicAndTruncationAreNamed() {
        let wrong = #expect(throws: DatasetError.self) { try NumpyArray.decode(Data("PK\u{3}\u{4}abcdefgh".utf8), source: "w.npy") }
        #expect(wrong?.field == "magic string")
        #expect(wrong?.description.contains("found 50 4b 03 04 61 62") == true)
        let encoded = NumpyArray(shape: [4], floats: [1, 2, 3, 4]).encode()
        let data = #expect(throws: DatasetError.self) { try NumpyArray.decode(encoded.prefix(encoded.count - 3), source: "t.npy") }
        #expect(data == .truncated(file: "t.npy", field: "data", expectedBytes: 144, foundBytes: 141))
        let header = #expect(throws: DatasetError.self) { try NumpyArray.decode(encoded.prefix(30), source: "t.npy") }
        #expect(header == .truncated(file: "t.npy", field: "header", expectedBytes: 128, foundBytes: 30))
    }

    @Test func hugeShapesAndShapeMismatchesAreRefused() {
        let huge = Self.file(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (2147483648, 28, 28), }", data: [UInt8](repeating: 0, count: 100))
        let error = #expect(throws: DatasetError.self) { try NumpyArray.decode(huge, source: "huge.npy") }
        #expect(error == .claimedSizeTooLarge(file: "huge.npy", field: "shape",
                                              claimed: "2147483648 × 28 × 28 × 8 bytes = 13469017440256 bytes", availableBytes: 100))
        let extra = Self.file(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0, 0, 0, 0, 0])
        let mismatch = #expect(throws: DatasetError.self) { try NumpyArray.decode(extra, source: "m.npy") }
        guard case .wrongShape(let file, let field, _, let found) = mismatch else {
            Issue.record("expected wrongShape, got \(String(describing: mismatch))"); return
        }
        #expect(file == "m.npy" && field == "shape" && found == "8 bytes (4 extra)")
    }

    @Test func floatValuesRefuseNaNAndInfinityWithTheIndex() throws {
        let withNaN = try NumpyArray.decode(NumpyArray(shape: [2, 2], floats: [0, 1, 2, .nan]).encode(), source: "nan.npy")
        #expect(throws: DatasetError.nonFiniteValue(file: "nan.npy", field: "data", index: 3, found: "nan")) { try withNaN.floatValues() }
        let withInfinity = try NumpyArray.decode(NumpyArray(shape: [3], storage: .float64([1, -.infinity, 0])).encode(), source: "inf.npy")
        let error = #expect(throws: DatasetError.self) { try withInfinity.floatValues() }
        #expect(error?.description == "inf.npy: data: expected finite values, found -inf at flat index 1. Hint: replace NaN and infinite values before loading (e.g. numpy.nan_to_num).")
        // float64 beyond Float's range becomes infinite as Float and is refused, quoting the original.
        let tooLarge = NumpyArray(shape: [1], storage: .float64([1e300]))
        #expect(throws: DatasetError.nonFiniteValue(file: "<memory>", field: "data", index: 0, found: "1e+300")) { try tooLarge.floatValues() }
        #expect(try NumpyArray(shape: [2], storage: .uint8([3, 4])).floatValues() == [3, 4])
        #expect(NumpyArray(shape: [2], storage: .bool([true, false])).doubleValues == [1, 0])
        #expect(withNaN.doubleValues[3].isNaN)
    }
}

@Suite struct NumpyArchiveTests {
    /// numpy.savez_compressed(x_train=np.arange(6, dtype=np.uint8).reshape(1, 2, 3), y_train=np.array([3])):
    /// deflated entries whose local headers carry zip64 sizes.
    static let numpyCompressed = "UEsDBC0AAAAIAAAAIQCdUziG//////////8LABQAeF90cmFpbi5ucHkBABAAhgAAAAAAAABPAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loF5Taqiuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GoY6CkY6CsaaOgq1CuQBLgZGJmYWVgBQSwMELQAAAAgAAAAhAEOdMRz//////////wsAFAB5X3RyYWluLm5weQEAEACIAAAAAAAAAEgAAAAAAAAAm+wX6hsQychQxlCtnpJanFykbqWgbpNpoa6joJ6WX1RSlJgXn1+UkgoSd0vMKU4FihdnJBakAvkahjqaOgq1ChQALmYGCAAAUEsBAi0DLQAAAAgAAAAhAJ1TOIZPAAAAhgAAAAsAAAAAAAAAAAAAAIABAAAAAHhfdHJhaW4ubnB5UEsBAi0DLQAAAAgAAAAhAEOdMRxIAAAAiAAAAAsAAAAAAAAAAAAAAIABjAAAAHlfdHJhaW4ubnB5UEsFBgAAAAACAAIAcgAAABEBAAAAAA=="

    @Test func readsAnArchiveNumpyWrote() throws {
        let archive = try NumpyArchive.decode(Data(base64Encoded: Self.numpyCompressed)!, source: "k.npz")
        #expect(archive.names == ["x_train", "y_train"])
        #expect(archive["x_train"] == NumpyArray(shape: [1, 2, 3], storage: .uint8([0, 1, 2, 3, 4, 5])))
        #expect(archive["y_train"] == NumpyArray(shape: [1], storage: .int64([3])))
    }

    @Test(arguments: [false, true])
    func roundTrips(compressed: Bool) throws {
        let archive = NumpyArchive(entries: [
            .init(name: "images", array: NumpyArray(shape: [2, 2, 2], storage: .uint8([0, 50, 100, 150, 200, 250, 255, 1]))),
            .init(name: "labels", array: NumpyArray(shape: [2], storage: .int64([0, 1]))),
        ])
        let encoded = archive.encode(compressed: compressed)
        #expect(try NumpyArchive.decode(encoded, source: "r.npz") == archive)
        #expect(archive.encode(compressed: compressed) == encoded)
    }

    @Test func aDamagedEntryFailsItsChecksum() throws {
        let archive = NumpyArchive(entries: [.init(name: "a", array: NumpyArray(shape: [3], floats: [1, 2, 3]))])
        var encoded = archive.encode(compressed: false)
        encoded[30 + 5 + 128 + 2] ^= 0x01 // a data byte of a.npy (header 30 + name 5 + npy header 128)
        let error = #expect(throws: DatasetError.self) { try NumpyArchive.decode(encoded, source: "c.npz") }
        #expect(error?.file == "c.npz/a.npy")
        #expect(error?.field == "CRC-32")
        let cut = #expect(throws: DatasetError.self) { try NumpyArchive.decode(encoded.prefix(60), source: "c.npz") }
        #expect(cut?.field == "end of central directory")
    }
}
