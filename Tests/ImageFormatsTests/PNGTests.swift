import Foundation
import Testing
import ImageFormats

/// A small image with every byte value distinct enough to catch a swapped channel or row.
private func patternImage(width: Int, height: Int, channels: Int) -> RasterImage {
    var pixels: [UInt8] = []
    for y in 0..<height {
        for x in 0..<width {
            for c in 0..<channels { pixels.append(UInt8((x * 37 + y * 91 + c * 53 + x * y) % 256)) }
        }
    }
    return RasterImage(width: width, height: height, channels: channels, pixels: pixels)
}

@Test func greyRoundTripKeepsEveryPixel() throws {
    let image = patternImage(width: 17, height: 9, channels: 1)
    let decoded = try PNG.decode(try PNG.encode(image))
    #expect(decoded == image)
}

@Test func rgbRoundTripKeepsEveryPixel() throws {
    let image = patternImage(width: 13, height: 11, channels: 3)
    let decoded = try PNG.decode(try PNG.encode(image))
    #expect(decoded == image)
}

@Test func encodedBytesStartWithTheSignatureAndAreDeterministic() throws {
    let image = patternImage(width: 40, height: 30, channels: 3)
    let first = try PNG.encode(image), second = try PNG.encode(image)
    #expect(Array(first.prefix(8)) == PNG.signature)
    #expect(first == second)
    var other = image
    other.pixels[5] ^= 1
    #expect(try PNG.encode(other) != first)
}

@Test func incompressibleNoiseStillEncodes() throws {
    // Pseudo-random bytes defeat zlib, exercising the output-buffer growth path.
    var state: UInt64 = 0x9E3779B97F4A7C15
    var pixels = [UInt8](repeating: 0, count: 64 * 64 * 3)
    for index in pixels.indices {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        pixels[index] = UInt8(truncatingIfNeeded: state >> 56)
    }
    let image = RasterImage(width: 64, height: 64, channels: 3, pixels: pixels)
    #expect(try PNG.decode(try PNG.encode(image)) == image)
}

@Test func decodeConvertsBetweenGreyAndRGBOnRequest() throws {
    let grey = patternImage(width: 5, height: 4, channels: 1)
    let asRGB = try PNG.decode(try PNG.encode(grey), channels: 3)
    #expect(asRGB.channels == 3)
    #expect(asRGB == grey.converted(toChannels: 3))

    // Pure grey RGB pixels stay exactly grey when read as one channel.
    let rgbOfGrey = grey.converted(toChannels: 3)
    #expect(try PNG.decode(try PNG.encode(rgbOfGrey), channels: 1) == grey)
}

// MARK: - Files written by an independent (hand-built) encoder

@Test func decodesHandBuiltEightBitRGB() throws {
    let rows: [[UInt8]] = [[255, 0, 0, 0, 255, 0, 0, 0, 255], [10, 20, 30, 40, 50, 60, 70, 80, 90]]
    let file = HandBuiltPNG.file(width: 3, height: 2, bitDepth: 8, colourType: 2, rows: rows)
    let image = try PNG.decode(Data(file))
    #expect(image.width == 3 && image.height == 2 && image.channels == 3)
    #expect(image.pixels == rows.flatMap { $0 })
}

@Test func decodesHandBuiltPaletteImage() throws {
    // 4-bit palette: 3 entries, pixels index 0,1,2,1 / 2,2,0,0 packed two per byte.
    let palette: [UInt8] = [255, 0, 0, /* */ 0, 128, 0, /* */ 12, 34, 56]
    let rows: [[UInt8]] = [[0x01, 0x21], [0x22, 0x00]]
    let file = HandBuiltPNG.file(width: 4, height: 2, bitDepth: 4, colourType: 3,
                                 extraChunks: [("PLTE", palette)], rows: rows)
    let image = try PNG.decode(Data(file))
    #expect(image.channels == 3)
    let colour = { (index: Int) in Array(palette[(3 * index)..<(3 * index + 3)]) }
    let expected = [0, 1, 2, 1, 2, 2, 0, 0].flatMap(colour)
    #expect(image.pixels == expected)
}

@Test func decodesHandBuiltSixteenBitGreyAsStoredValuesScaled() throws {
    // Samples v·257 scale exactly to v; 16-bit without gAMA is read as sRGB-encoded, not linear.
    let values: [UInt16] = [0, 257 * 1, 257 * 100, 257 * 200, 257 * 255, 257 * 17]
    let rows: [[UInt8]] = [Array(values[0..<3]), Array(values[3..<6])].map { row in
        row.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
    let file = HandBuiltPNG.file(width: 3, height: 2, bitDepth: 16, colourType: 0, rows: rows)
    let image = try PNG.decode(Data(file))
    #expect(image.channels == 1)
    #expect(image.pixels == [0, 1, 100, 200, 255, 17])
}

@Test func decodesHandBuiltSixteenBitRGBRoundingToNearest() throws {
    // Arbitrary 16-bit samples become round(v / 257), channel by channel.
    let values: [UInt16] = [0x8000, 0x0080, 0x0081, 0x7FFF, 1000, 65000, 12345, 65535, 0]
    let pixels: [UInt16] = Array(values[0..<9])           // three RGB pixels
    let rows: [[UInt8]] = [pixels.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }]
    let file = HandBuiltPNG.file(width: 3, height: 1, bitDepth: 16, colourType: 2, rows: rows)
    let image = try PNG.decode(Data(file))
    #expect(image.channels == 3)
    #expect(image.pixels == pixels.map { UInt8((Double($0) / 257).rounded()) })
}

@Test func decodesHandBuiltAlphaCompositedOnWhite() throws {
    // RGBA: opaque red, fully transparent blue, half-transparent black.
    let rows: [[UInt8]] = [[255, 0, 0, 255, /* */ 0, 0, 255, 0, /* */ 0, 0, 0, 128]]
    let file = HandBuiltPNG.file(width: 3, height: 1, bitDepth: 8, colourType: 6, rows: rows)
    let image = try PNG.decode(Data(file))
    #expect(image.channels == 3)
    #expect(Array(image[0, 0]) == [255, 0, 0])
    #expect(Array(image[1, 0]) == [255, 255, 255])
    let half = Array(image[2, 0])
    // Half-covered black on white: strictly between the two, equal in the three channels.
    #expect(half[0] > 0 && half[0] < 255 && half[0] == half[1] && half[1] == half[2])
}

@Test func decodesHandBuiltOneBitGreyExpandedToFullRange() throws {
    // 1-bit grey, 10 pixels: 1011001110 packed MSB first into two bytes.
    let file = HandBuiltPNG.file(width: 10, height: 1, bitDepth: 1, colourType: 0, rows: [[0b1011_0011, 0b1000_0000]])
    let image = try PNG.decode(Data(file))
    #expect(image.pixels == [255, 0, 255, 255, 0, 0, 255, 255, 255, 0])
}

// MARK: - Corrupt input gives typed errors

private func isInvalidPNG(_ error: any Error, source: String) -> Bool {
    if case let .invalidPNG(found, _) = error as? ImageFormatError { return found == source }
    return false
}

@Test func wrongSignatureIsRejected() throws {
    var bytes = [UInt8](try PNG.encode(patternImage(width: 4, height: 4, channels: 1)))
    bytes[1] = UInt8(ascii: "Q")
    #expect { try PNG.decode(Data(bytes), source: "bad.png") } throws: { error in
        guard case let .invalidPNG(source, reason) = error as? ImageFormatError else { return false }
        return source == "bad.png" && reason.contains("89 51 4E 47")
    }
    #expect(throws: ImageFormatError.self) { try PNG.decode(Data("GIF89a".utf8)) }
    #expect(throws: ImageFormatError.self) { try PNG.decode(Data()) }
}

@Test(arguments: [0, 5, 8, 16, 33, 40, 60])
func truncatedDataIsRejected(keptBytes: Int) throws {
    let full = try PNG.encode(patternImage(width: 20, height: 20, channels: 3))
    let truncated = full.prefix(keptBytes)
    #expect(truncated.count < full.count)
    #expect { try PNG.decode(Data(truncated), source: "cut.png") } throws: { isInvalidPNG($0, source: "cut.png") }
}

@Test func everyTruncationOfASmallFileIsRejectedWithoutCrashing() throws {
    let full = [UInt8](try PNG.encode(patternImage(width: 6, height: 5, channels: 3)))
    for length in 0..<(full.count - 12) {     // the last 12 bytes are IEND, which libpng need not read
        #expect(throws: ImageFormatError.self) { try PNG.decode(Data(full.prefix(length))) }
    }
}

@Test func corruptedHeaderCRCIsRejected() throws {
    var bytes = HandBuiltPNG.file(width: 2, height: 2, bitDepth: 8, colourType: 0, rows: [[1, 2], [3, 4]])
    // IHDR CRC sits at 8 (signature) + 8 (length, type) + 13 (data) = 29..32.
    bytes[30] ^= 0xFF
    #expect { try PNG.decode(Data(bytes), source: "crc.png") } throws: { isInvalidPNG($0, source: "crc.png") }
}

@Test func corruptedImageDataCRCIsRejected() throws {
    var bytes = HandBuiltPNG.file(width: 2, height: 2, bitDepth: 8, colourType: 0, rows: [[1, 2], [3, 4]])
    // The IDAT CRC is the 4 bytes before IEND's 12.
    bytes[bytes.count - 12 - 2] ^= 0x55
    #expect { try PNG.decode(Data(bytes), source: "idat.png") } throws: { isInvalidPNG($0, source: "idat.png") }
}

@Test func corruptedCompressedStreamIsRejected() throws {
    var bytes = HandBuiltPNG.file(width: 8, height: 8, bitDepth: 8, colourType: 0,
                                  rows: (0..<8).map { y in (0..<8).map { UInt8($0 * 8 + y) } })
    // Garble the zlib stream inside IDAT, then repair the chunk's CRC so only the stream is bad.
    let idatStart = 8 + 25                          // signature + IHDR chunk
    let length = Int(bytes[idatStart]) << 24 | Int(bytes[idatStart + 1]) << 16
        | Int(bytes[idatStart + 2]) << 8 | Int(bytes[idatStart + 3])
    let dataStart = idatStart + 8
    for offset in 2..<length { bytes[dataStart + offset] ^= 0xA5 }
    let fixed = HandBuiltPNG.chunk("IDAT", Array(bytes[dataStart..<(dataStart + length)]))
    bytes.replaceSubrange(idatStart..<(dataStart + length + 4), with: fixed)
    #expect(throws: ImageFormatError.self) { try PNG.decode(Data(bytes)) }
}

@Test func headerAnnouncingTooManyPixelsIsRefusedBeforeAllocating() throws {
    let bytes = HandBuiltPNG.file(width: 100_000, height: 100_000, bitDepth: 8, colourType: 2, rows: [])
    #expect { try PNG.decode(Data(bytes), source: "bomb.png", maximumPixelCount: 1 << 24) } throws: { error in
        error as? ImageFormatError
            == .imageTooLarge(source: "bomb.png", width: 100_000, height: 100_000, maximumPixelCount: 1 << 24)
    }
}

@Test func errorDescriptionsNameTheSourceAndTheFinding() {
    let error = ImageFormatError.invalidPNG(source: "a/b.png", reason: "truncated")
    #expect(error.description.contains("a/b.png") && error.description.contains("truncated"))
    let tooLarge = ImageFormatError.imageTooLarge(source: "x.png", width: 10, height: 20, maximumPixelCount: 100)
    #expect(tooLarge.description.contains("200") && tooLarge.description.contains("100"))
}
