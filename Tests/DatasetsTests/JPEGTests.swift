import Testing
import Foundation
@testable import Datasets

@Suite struct JPEGTests {
    @Test func decodesAGreyGradient() throws {
        let pixels = (0..<(16 * 8)).map { UInt8(($0 % 16) * 16) }
        let data = Fixtures.jpeg(width: 16, height: 8, channels: 1, pixels: pixels)
        let decoded = try JPEGDecoder.decode(data, source: "g.jpg", maxPixelCount: 1 << 20)
        #expect(decoded.width == 16 && decoded.height == 8 && decoded.channels == 1)
        #expect(zip(decoded.bytes, pixels).allSatisfy { abs(Int($0) - Int($1)) <= 4 })
    }

    @Test func corruptDataBecomesATypedError() throws {
        let pixels = (0..<(64 * 64 * 3)).map { UInt8(truncatingIfNeeded: $0 * 7) }
        var data = Fixtures.jpeg(width: 64, height: 64, channels: 3, pixels: pixels)
        // Break the Huffman table segment (DHT): libjpeg calls error_exit.
        let bytes = [UInt8](data)
        let dht = (0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC4 }!
        data[dht + 4] = 0x7F
        let error = #expect(throws: DatasetError.self) { try JPEGDecoder.decode(data, source: "bad.jpg", maxPixelCount: 1 << 20) }
        print(error?.description ?? "none")
        for _ in 0..<50 {
            _ = try? JPEGDecoder.decode(data, source: "bad.jpg", maxPixelCount: 1 << 20)
        }
    }
}
