import CJPEG
import CZlib
import Foundation
import Datasets
import TestSupport

/// Bytes the tests write themselves: JPEGs through libjpeg, PNGs through zlib, and a small PNG
/// decoder standing in for ImageFormats' (the loader takes any decoder closure).
enum Fixtures {
    /// A JPEG of `pixels` (rows top to bottom, `channels` = 1 or 3 interleaved bytes per pixel).
    static func jpeg(width: Int, height: Int, channels: Int, pixels: [UInt8], quality: Int32 = 95) -> Data {
        precondition(pixels.count == width * height * channels)
        var compressor = jpeg_compress_struct()
        var errorManager = jpeg_error_mgr()
        compressor.err = jpeg_std_error(&errorManager)
        jpeg_CreateCompress(&compressor, JPEG_LIB_VERSION, MemoryLayout<jpeg_compress_struct>.size)
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        jpeg_mem_dest(&compressor, &buffer, &size)
        compressor.image_width = JDIMENSION(width)
        compressor.image_height = JDIMENSION(height)
        compressor.input_components = Int32(channels)
        compressor.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB
        jpeg_set_defaults(&compressor)
        jpeg_set_quality(&compressor, quality, 1)
        if channels == 3 { // no chroma subsampling, so colours stay exact enough to test
            for index in 0..<3 {
                compressor.comp_info[index].h_samp_factor = 1
                compressor.comp_info[index].v_samp_factor = 1
            }
        }
        jpeg_start_compress(&compressor, 1)
        pixels.withUnsafeBufferPointer { source in
            while compressor.next_scanline < compressor.image_height {
                var row: JSAMPROW? = UnsafeMutablePointer(mutating: source.baseAddress! + Int(compressor.next_scanline) * width * channels)
                jpeg_write_scanlines(&compressor, &row, 1)
            }
        }
        jpeg_finish_compress(&compressor)
        jpeg_destroy_compress(&compressor)
        let data = Data(bytes: buffer!, count: Int(size))
        free(buffer)
        return data
    }
}

extension Fixtures {
    /// A new empty folder under /tmp, removed by `removeFolder`.
    static func makeFolder(_ label: String) -> URL {
        let url = URL(fileURLWithPath: TestSupport.temporaryFolder("latentot-datasets-\(label)"))
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func removeFolder(_ url: URL) {
        try? FileManager.default.removeItem(at: url)
    }

    static func write(_ data: Data, to folder: URL, _ name: String) -> URL {
        let url = folder.appendingPathComponent(name)
        try! FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try! data.write(to: url)
        return url
    }

    /// A PNG (8-bit grey or RGB, filter 0 on every row) written with zlib.
    static func png(width: Int, height: Int, channels: Int, pixels: [UInt8]) -> Data {
        precondition(channels == 1 || channels == 3 && pixels.count == width * height * channels)
        func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + body
            let crc = typed.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
            return bigEndian(UInt32(body.count)) + typed + bigEndian(crc)
        }
        var raw: [UInt8] = []
        for row in 0..<height {
            raw.append(0)
            raw += pixels[(row * width * channels)..<((row + 1) * width * channels)]
        }
        var compressedSize = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedSize))
        let status = compress(&compressed, &compressedSize, raw, uLong(raw.count))
        precondition(status == Z_OK)
        let header = bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, channels == 1 ? 0 : 2, 0, 0, 0]
        let bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            + chunk("IHDR", header) + chunk("IDAT", Array(compressed[0..<Int(compressedSize)])) + chunk("IEND", [])
        return Data(bytes)
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    struct PNGFixtureError: Error, CustomStringConvertible {
        var description: String
    }

    /// Decodes the PNGs `png(...)` writes (8-bit grey or RGB, filter 0), standing in for ImageFormats.
    static func decodePNG(_ data: Data, source: String) throws -> DecodedPixels {
        let bytes = [UInt8](data)
        func word(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        var position = 8, width = 0, height = 0, channels = 0
        var idat = Data()
        while position + 8 <= bytes.count {
            let length = word(position)
            let type = String(decoding: bytes[(position + 4)..<(position + 8)], as: UTF8.self)
            guard position + 12 + length <= bytes.count else { throw PNGFixtureError(description: "\(source): chunk \(type) cut short") }
            let body = Array(bytes[(position + 8)..<(position + 8 + length)])
            switch type {
            case "IHDR":
                width = word(position + 8)
                height = word(position + 12)
                channels = body[9] == 0 ? 1 : 3
            case "IDAT": idat.append(contentsOf: body)
            default: break
            }
            position += 12 + length
        }
        let raw = [UInt8](try Gzip.decompress(idat, source: source))
        let stride = width * channels
        guard raw.count == height * (stride + 1) else { throw PNGFixtureError(description: "\(source): wrong IDAT size") }
        var pixels: [UInt8] = []
        for row in 0..<height {
            guard raw[row * (stride + 1)] == 0 else { throw PNGFixtureError(description: "\(source): filter not 0") }
            pixels += raw[(row * (stride + 1) + 1)..<((row + 1) * (stride + 1))]
        }
        return (width, height, channels, pixels)
    }
}
