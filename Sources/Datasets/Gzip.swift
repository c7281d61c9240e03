import CZlib
import Foundation

/// gzip (and zlib) compression through the system zlib.
///
/// Decompression streams into a growing buffer and stops with `DatasetError.sizeLimitExceeded`
/// once the output would pass `sizeLimit`, so a small "gzip bomb" cannot make the reader allocate
/// gigabytes. Compression is deterministic (modification time 0, no file name), for writing test
/// fixtures and files whose bytes should not depend on when they were made.
public enum Gzip {
    /// The default ceiling on decompressed bytes: 1 GiB (the full MNIST training images are 47 MB).
    public static let defaultSizeLimit = 1 << 30

    /// Whether `data` starts with the gzip magic bytes 1f 8b (whatever the file is called).
    public static func isCompressed(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b
    }

    /// Decompresses gzip or zlib data (detected from the header: zlib's windowBits 15 + 32).
    /// Concatenated gzip members are decompressed one after another, as `gunzip` does.
    ///
    /// - Parameters:
    ///   - data: the compressed bytes.
    ///   - source: the file name used in error messages.
    ///   - sizeLimit: the most bytes the output may hold.
    /// - Throws: `DatasetError.corruptCompressedData` for damaged or cut-short input,
    ///   `DatasetError.sizeLimitExceeded` when the output would pass `sizeLimit`.
    public static func decompress(_ data: Data, source: String,
                                  sizeLimit: Int = defaultSizeLimit) throws(DatasetError) -> Data {
        try Zlib.inflate(data, windowBits: 15 + 32, source: source, field: "gzip stream",
                         sizeLimit: sizeLimit, allowConcatenatedMembers: true)
    }

    /// Decompresses `data` if it starts with the gzip magic bytes, and returns it unchanged otherwise.
    public static func decompressIfCompressed(_ data: Data, source: String,
                                              sizeLimit: Int = defaultSizeLimit) throws(DatasetError) -> Data {
        isCompressed(data) ? try decompress(data, source: source, sizeLimit: sizeLimit) : data
    }

    /// gzip-compresses `data` deterministically: modification time 0, no name, OS byte 3 (Unix).
    /// - Parameter level: zlib's compression level, 0 (stored) to 9 (smallest).
    public static func compress(_ data: Data, level: Int = 6) -> Data {
        Zlib.deflate(data, windowBits: 15 + 16, level: level)
    }
}

/// zlib's inflate and deflate over whole buffers, shared by gzip and the zip entries of `.npz` files.
enum Zlib {
    static let chunkSize = 1 << 16

    /// Inflates `data` with the given windowBits (15 + 32: gzip or zlib; -15: raw deflate).
    static func inflate(_ data: Data, windowBits: Int32, source: String, field: String, sizeLimit: Int,
                        allowConcatenatedMembers: Bool = false) throws(DatasetError) -> Data {
        var stream = z_stream()
        var status = inflateInit2_(&stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            throw .corruptCompressedData(file: source, field: field, reason: "zlib could not start (status \(status))")
        }
        defer { inflateEnd(&stream) }

        var output = Data()
        // A plausible size hint from the gzip trailer (ISIZE, the size modulo 2^32) saves regrowing.
        if windowBits > 15, data.count >= 18, isGzipMember(data) {
            let isize = data.withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: data.count - 4, as: UInt32.self))) }
            if isize <= sizeLimit && isize <= data.count * 1100 { output.reserveCapacity(isize) }
        }
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var failure: DatasetError?

        data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            guard let base = input.bindMemory(to: UInt8.self).baseAddress else {
                failure = .corruptCompressedData(file: source, field: field, reason: "the file is empty")
                return
            }
            stream.next_in = UnsafeMutablePointer(mutating: base)
            stream.avail_in = uInt(input.count)
            chunk.withUnsafeMutableBufferPointer { buffer in
                while true {
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = uInt(buffer.count)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    let produced = buffer.count - Int(stream.avail_out)
                    if produced > 0 {
                        if output.count + produced > sizeLimit {
                            failure = .sizeLimitExceeded(file: source, field: field, limitBytes: sizeLimit)
                            return
                        }
                        output.append(buffer.baseAddress!, count: produced)
                    }
                    switch status {
                    case Z_OK:
                        continue
                    case Z_STREAM_END:
                        let remaining = Int(stream.avail_in)
                        if remaining == 0 { return }
                        let offset = input.count - remaining
                        if allowConcatenatedMembers && remaining >= 2 && input[offset] == 0x1f && input[offset + 1] == 0x8b {
                            inflateReset(&stream)
                            continue
                        }
                        if input[offset...].allSatisfy({ $0 == 0 }) { return } // padding, as gunzip allows
                        failure = .corruptCompressedData(file: source, field: field,
                                                         reason: "\(remaining) unexpected bytes after the end of the compressed stream")
                        return
                    case Z_BUF_ERROR:
                        // No progress possible: the input ended before the stream did.
                        failure = .corruptCompressedData(file: source, field: field,
                                                         reason: "the compressed stream is cut short after \(output.count) decompressed bytes")
                        return
                    default:
                        let message = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                        failure = .corruptCompressedData(file: source, field: field, reason: message)
                        return
                    }
                }
            }
        }
        if let failure { throw failure }
        return output
    }

    /// Whether the bytes at the start look like a gzip member (as opposed to a zlib stream).
    static func isGzipMember(_ data: Data) -> Bool { Gzip.isCompressed(data) }

    /// Deflates `data` with the given windowBits (15 + 16: gzip; 15: zlib; -15: raw deflate).
    static func deflate(_ data: Data, windowBits: Int32, level: Int) -> Data {
        precondition((0...9).contains(level), "Gzip.compress: level must be 0...9, got \(level)")
        var stream = z_stream()
        let status = deflateInit2_(&stream, Int32(level), Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY,
                                   zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "zlib deflateInit2 failed with status \(status)")
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(data.count)))
        var output = [UInt8](repeating: 0, count: bound)
        let written: Int = data.withUnsafeBytes { input in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: UInt8.self).baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                let result = CZlib.deflate(&stream, Z_FINISH)
                precondition(result == Z_STREAM_END, "zlib deflate did not finish within deflateBound (status \(result))")
                return out.count - Int(stream.avail_out)
            }
        }
        return Data(output[0..<written])
    }

    /// The CRC-32 of `data` (as in gzip, zip and PNG).
    static func crc32(_ data: Data) -> UInt32 {
        data.withUnsafeBytes { bytes in
            UInt32(CZlib.crc32(0, bytes.bindMemory(to: UInt8.self).baseAddress, uInt(bytes.count)))
        }
    }
}
