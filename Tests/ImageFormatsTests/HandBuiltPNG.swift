import CZlib
import Foundation

/// A minimal independent PNG writer for tests: chunks, CRC (zlib `crc32`) and the IDAT stream
/// (zlib `compress`) assembled by hand, so the decoder is checked against bytes it did not write.
enum HandBuiltPNG {
    /// One chunk: length, type, data, CRC over type and data.
    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        precondition(typeBytes.count == 4, "chunk type must be 4 bytes")
        var out = bigEndian(UInt32(data.count))
        out += typeBytes + data
        let crc = (typeBytes + data).withUnsafeBufferPointer { buffer in
            crc32(0, buffer.baseAddress, uInt(buffer.count))
        }
        out += bigEndian(UInt32(crc))
        return out
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    static func zlibCompress(_ raw: [UInt8]) -> [UInt8] {
        var length = compressBound(uLong(raw.count))
        var out = [UInt8](repeating: 0, count: Int(length))
        let status = out.withUnsafeMutableBufferPointer { destination in
            raw.withUnsafeBufferPointer { source in
                compress(destination.baseAddress, &length, source.baseAddress, uLong(raw.count))
            }
        }
        precondition(status == Z_OK, "compress failed: \(status)")
        return Array(out.prefix(Int(length)))
    }

    /// A whole PNG: signature, IHDR, optional extra chunks (PLTE, tRNS...) before IDAT, IDAT, IEND.
    /// `rows` are the unfiltered scanlines (filter byte 0 is prepended here).
    static func file(width: Int, height: Int, bitDepth: UInt8, colourType: UInt8,
                     extraChunks: [(String, [UInt8])] = [], rows: [[UInt8]]) -> [UInt8] {
        var header = bigEndian(UInt32(width)) + bigEndian(UInt32(height))
        header += [bitDepth, colourType, 0, 0, 0]
        var raw: [UInt8] = []
        for row in rows { raw.append(0); raw += row }
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        out += chunk("IHDR", header)
        for (type, data) in extraChunks { out += chunk(type, data) }
        out += chunk("IDAT", zlibCompress(raw))
        out += chunk("IEND", [])
        return out
    }
}
