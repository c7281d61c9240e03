import Testing
import Foundation
import Datasets

@Suite struct JPEGTests {
    @Test func decodesAGreyGradient() throws {
        let pixels = (0..<(16 * 8)).map { UInt8(($0 % 16) * 16) }
        let data = Fixtures.jpeg(width: 16, height: 8, channels: 1, pixels: pixels)
        let decoded = try JPEGDecoder.decode(data, source: "g.jpg", maxPixelCount: 1 << 20)
        #expect(decoded.width == 16 && decoded.height == 8 && decoded.channels == 1)
        #expect(zip(decoded.pixels, pixels).allSatisfy { abs(Int($0) - Int($1)) <= 4 })
    }

    @Test func decodesColourAsRGB() throws {
        // Left half red, right half blue, 16 × 16.
        let pixels = (0..<256).flatMap { index -> [UInt8] in index % 16 < 8 ? [220, 20, 20] : [20, 20, 220] }
        let decoded = try JPEGDecoder.decode(Fixtures.jpeg(width: 16, height: 16, channels: 3, pixels: pixels),
                                             source: "c.jpg", maxPixelCount: 1 << 20)
        #expect(decoded.channels == 3 && decoded.pixels.count == 16 * 16 * 3)
        #expect(abs(Int(decoded.pixels[0]) - 220) <= 8 && abs(Int(decoded.pixels[2]) - 20) <= 8)
        let last = decoded.pixels.count - 3
        #expect(abs(Int(decoded.pixels[last]) - 20) <= 8 && abs(Int(decoded.pixels[last + 2]) - 220) <= 8)
    }

    /// libjpeg's fatal errors end the decoding thread instead of the process; repeated failures
    /// leave the decoder usable.
    @Test func aLibjpegErrorBecomesATypedError() throws {
        let pixels = (0..<(64 * 64 * 3)).map { UInt8(truncatingIfNeeded: $0 * 7) }
        var data = Fixtures.jpeg(width: 64, height: 64, channels: 3, pixels: pixels)
        let bytes = [UInt8](data)
        let huffmanTable = (0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC4 }!
        data[huffmanTable + 4] = 0x7F // table index 15: libjpeg's error_exit
        for _ in 0..<20 {
            let error = #expect(throws: DatasetError.self) { try JPEGDecoder.decode(data, source: "bad.jpg", maxPixelCount: 1 << 20) }
            #expect(error == .corruptImage(file: "bad.jpg", field: "JPEG data", reason: "libjpeg: Bogus DHT index 111"))
        }
        #expect(try JPEGDecoder.decode(Fixtures.jpeg(width: 8, height: 8, channels: 1, pixels: [UInt8](repeating: 1, count: 64)),
                                       source: "ok.jpg", maxPixelCount: 1 << 20).width == 8)
    }

    /// Corrupt entropy-coded data makes libjpeg warn and fill with grey: that is an error too.
    @Test func corruptScanDataIsAnError() throws {
        let pixels = (0..<(32 * 32)).map { UInt8(truncatingIfNeeded: $0 * 13) }
        var data = Fixtures.jpeg(width: 32, height: 32, channels: 1, pixels: pixels)
        let bytes = [UInt8](data)
        let scan = (0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xDA }!
        let scanLength = Int(bytes[scan + 2]) << 8 | Int(bytes[scan + 3])
        // Insert a restart marker inside the entropy-coded data where none belongs.
        data.insert(contentsOf: [0xFF, 0xD3], at: scan + 2 + scanLength + 10)
        let error = #expect(throws: DatasetError.self) { try JPEGDecoder.decode(data, source: "scan.jpg", maxPixelCount: 1 << 20) }
        #expect(error?.file == "scan.jpg")
        #expect(error?.field == "JPEG data")
    }

    @Test func structureIsCheckedBeforeDecoding() {
        let good = Fixtures.jpeg(width: 8, height: 8, channels: 1, pixels: [UInt8](repeating: 100, count: 64))
        func decode(_ data: Data, limit: Int = 1 << 20) throws(DatasetError) {
            _ = try JPEGDecoder.decode(data, source: "s.jpg", maxPixelCount: limit)
        }
        // Cut inside the entropy-coded data, so the end-of-image marker is missing.
        let noisy = Fixtures.jpeg(width: 32, height: 32, channels: 1, pixels: (0..<1024).map { UInt8(truncatingIfNeeded: $0 * 37) })
        let cut = #expect(throws: DatasetError.self) { try decode(noisy.prefix(noisy.count - 20)) }
        #expect(cut?.field == "EOI marker (ff d9)")
        // Cut inside the headers.
        let header = #expect(throws: DatasetError.self) { try decode(good.prefix(30)) }
        guard case .truncated = header else { Issue.record("expected truncated, got \(String(describing: header))"); return }
        // A frame larger than the pixel limit.
        let large = #expect(throws: DatasetError.self) { try decode(good, limit: 63) }
        #expect(large?.description.contains("8 × 8 pixels exceed the limit of 63") == true)
        // A frame claiming width 0.
        var zeroWidth = good
        let bytes = [UInt8](good)
        let frame = (0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 }!
        zeroWidth[frame + 7] = 0
        zeroWidth[frame + 8] = 0
        let zero = #expect(throws: DatasetError.self) { try decode(zeroWidth) }
        #expect(zero?.description.contains("expected a non-zero size, found 0 × 8") == true)
    }
}
