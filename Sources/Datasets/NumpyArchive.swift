import Foundation

/// A NumPy `.npz` archive: a zip file of `.npy` arrays, as `numpy.savez` (stored entries) and
/// `numpy.savez_compressed` (deflated entries) write it.
///
/// The reader follows the zip central directory (with zip64 sizes, which NumPy writes), accepts
/// stored and deflated entries, checks each entry's CRC-32, and refuses encrypted entries and
/// sizes beyond the archive or `sizeLimit` before allocating.
public struct NumpyArchive: Equatable, Sendable {
    /// One array and its name (the entry's file name without `.npy`).
    public struct Entry: Equatable, Sendable {
        public var name: String
        public var array: NumpyArray

        public init(name: String, array: NumpyArray) {
            self.name = name
            self.array = array
        }
    }

    /// The arrays in archive order.
    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// The names in archive order.
    public var names: [String] { entries.map(\.name) }

    /// The array called `name`, if any.
    public subscript(name: String) -> NumpyArray? { entries.first { $0.name == name }?.array }

    /// Reads a `.npz` file.
    public static func read(_ url: URL, sizeLimit: Int = Gzip.defaultSizeLimit) throws(DatasetError) -> NumpyArchive {
        try decode(try FileBytes.read(url), source: url.path, sizeLimit: sizeLimit)
    }

    /// Decodes `.npz` bytes.
    /// - Parameter sizeLimit: the most bytes one entry may decompress to.
    public static func decode(_ data: Data, source: String, sizeLimit: Int = Gzip.defaultSizeLimit) throws(DatasetError) -> NumpyArchive {
        let records = try data.withBytes { raw throws(DatasetError) in try ZipDirectory.read(raw, source: source) }
        var entries: [Entry] = []
        for record in records where !record.name.hasSuffix("/") {
            let entrySource = "\(source)/\(record.name)"
            let dataEnd = record.dataOffset + record.compressedSize
            guard record.uncompressedSize <= sizeLimit else {
                throw .sizeLimitExceeded(file: entrySource, field: "uncompressed size", limitBytes: sizeLimit)
            }
            let stored = data.subdata(in: (data.startIndex + record.dataOffset)..<(data.startIndex + dataEnd))
            let bytes: Data
            switch record.method {
            case 0:
                guard record.compressedSize == record.uncompressedSize else {
                    throw .countMismatch(file: entrySource, field: "stored entry size",
                                         expected: record.uncompressedSize, found: record.compressedSize)
                }
                bytes = stored
            case 8:
                bytes = try Zlib.inflate(stored, windowBits: -15, source: entrySource, field: "deflated entry",
                                         sizeLimit: record.uncompressedSize)
                guard bytes.count == record.uncompressedSize else {
                    throw .countMismatch(file: entrySource, field: "uncompressed size",
                                         expected: record.uncompressedSize, found: bytes.count)
                }
            default:
                throw .unsupportedDataType(file: entrySource, field: "compression method", found: "\(record.method)",
                                           supported: ["0 (stored)", "8 (deflate)"])
            }
            let crc = Zlib.crc32(bytes)
            guard crc == record.crc32 else {
                throw .corruptCompressedData(file: entrySource, field: "CRC-32",
                                             reason: String(format: "expected %08x, found %08x", record.crc32, crc))
            }
            var name = record.name
            if name.hasSuffix(".npy") { name.removeLast(4) }
            entries.append(Entry(name: name, array: try NumpyArray.decode(bytes, source: entrySource, sizeLimit: sizeLimit)))
        }
        return NumpyArchive(entries: entries)
    }

    /// The `.npz` bytes: one `<name>.npy` entry per array, deflated when `compressed`
    /// (as `numpy.savez_compressed`) or stored (as `numpy.savez`). Timestamps are fixed
    /// (1980-01-01 00:00), so the bytes depend on the arrays only.
    public func encode(compressed: Bool = false) -> Data {
        var output = Data()
        var central = Data()
        for entry in entries {
            let name = Array((entry.name + ".npy").utf8)
            let content = entry.array.encode()
            let body = compressed ? Zlib.deflate(content, windowBits: -15, level: 6) : content
            let crc = Zlib.crc32(content)
            precondition(output.count < Int(UInt32.max) && body.count < Int(UInt32.max),
                         "NumpyArchive.encode: archives over 4 GiB are not written")
            let localOffset = UInt32(output.count)
            let method: UInt16 = compressed ? 8 : 0
            // Local file header.
            ByteOrder.append([UInt32(0x0403_4b50)], to: &output, order: .little)
            ByteOrder.append([UInt16(20), 0, method, 0, 33], to: &output, order: .little) // version, flags, method, time, date
            ByteOrder.append([crc, UInt32(body.count), UInt32(content.count)], to: &output, order: .little)
            ByteOrder.append([UInt16(name.count), 0], to: &output, order: .little)
            output.append(contentsOf: name)
            output.append(body)
            // Central directory record.
            ByteOrder.append([UInt32(0x0201_4b50)], to: &central, order: .little)
            ByteOrder.append([UInt16(20), 20, 0, method, 0, 33], to: &central, order: .little)
            ByteOrder.append([crc, UInt32(body.count), UInt32(content.count)], to: &central, order: .little)
            ByteOrder.append([UInt16(name.count), 0, 0, 0, 0], to: &central, order: .little) // name, extra, comment, disk, internal attributes
            ByteOrder.append([UInt32(0o100644) << 16, localOffset], to: &central, order: .little)
            central.append(contentsOf: name)
        }
        let centralOffset = UInt32(output.count)
        output.append(central)
        ByteOrder.append([UInt32(0x0605_4b50)], to: &output, order: .little)
        ByteOrder.append([UInt16(0), 0, UInt16(entries.count), UInt16(entries.count)], to: &output, order: .little)
        ByteOrder.append([UInt32(central.count), centralOffset], to: &output, order: .little)
        ByteOrder.append([UInt16(0)], to: &output, order: .little)
        return output
    }
}

/// The zip central directory: where each entry's data is and how it is stored.
enum ZipDirectory {
    struct Record {
        var name: String
        var method: Int
        var crc32: UInt32
        var compressedSize: Int
        var uncompressedSize: Int
        var dataOffset: Int
    }

    static func read(_ raw: UnsafeRawBufferPointer, source: String) throws(DatasetError) -> [Record] {
        guard raw.count >= 4, raw.littleEndianUInt32(at: 0) == 0x0403_4b50 || raw.littleEndianUInt32(at: 0) == 0x0605_4b50 else {
            throw .wrongMagic(file: source, field: "zip signature", expected: "50 4b 03 04 (PK\\3\\4)",
                              found: raw.isEmpty ? "an empty file" : (0..<min(4, raw.count)).map { String(format: "%02x", raw[$0]) }.joined(separator: " "))
        }
        // The end-of-central-directory record: the last 22 bytes, or earlier when a comment follows.
        var end = -1
        var candidate = raw.count - 22
        while candidate >= max(0, raw.count - 22 - 65535) {
            if raw.littleEndianUInt32(at: candidate) == 0x0605_4b50 { end = candidate; break }
            candidate -= 1
        }
        guard end >= 0 else {
            throw .truncated(file: source, field: "end of central directory", expectedBytes: raw.count + 22, foundBytes: raw.count)
        }
        var entryCount = Int(raw.littleEndianUInt16(at: end + 10))
        var directorySize = Int(raw.littleEndianUInt32(at: end + 12))
        var directoryOffset = Int(raw.littleEndianUInt32(at: end + 16))
        if (entryCount == 0xFFFF || directoryOffset == 0xFFFF_FFFF || directorySize == 0xFFFF_FFFF),
           end >= 20, raw.littleEndianUInt32(at: end - 20) == 0x0706_4b50 {
            let zip64End = Int(clamping: raw.littleEndianUInt64(at: end - 20 + 8))
            guard zip64End >= 0, zip64End <= raw.count - 56, raw.littleEndianUInt32(at: zip64End) == 0x0606_4b50 else {
                throw .corruptCompressedData(file: source, field: "zip64 end of central directory", reason: "not where its locator says")
            }
            entryCount = Int(clamping: raw.littleEndianUInt64(at: zip64End + 32))
            directorySize = Int(clamping: raw.littleEndianUInt64(at: zip64End + 40))
            directoryOffset = Int(clamping: raw.littleEndianUInt64(at: zip64End + 48))
        }
        guard directoryOffset <= raw.count, directorySize <= raw.count - directoryOffset else {
            throw .claimedSizeTooLarge(file: source, field: "central directory",
                                       claimed: "\(directorySize) bytes at offset \(directoryOffset)", availableBytes: raw.count)
        }
        guard entryCount <= directorySize / 46 else {
            throw .countMismatch(file: source, field: "central directory entry count",
                                 expected: directorySize / 46, found: entryCount)
        }
        var records: [Record] = []
        var position = directoryOffset
        for index in 0..<entryCount {
            let field = "central directory entry \(index)"
            guard position + 46 <= directoryOffset + directorySize, raw.littleEndianUInt32(at: position) == 0x0201_4b50 else {
                throw .corruptCompressedData(file: source, field: field, reason: "no central directory signature at byte \(position)")
            }
            let flags = raw.littleEndianUInt16(at: position + 8)
            let method = Int(raw.littleEndianUInt16(at: position + 10))
            let crc = raw.littleEndianUInt32(at: position + 16)
            var compressedSize = Int(raw.littleEndianUInt32(at: position + 20))
            var uncompressedSize = Int(raw.littleEndianUInt32(at: position + 24))
            let nameLength = Int(raw.littleEndianUInt16(at: position + 28))
            let extraLength = Int(raw.littleEndianUInt16(at: position + 30))
            let commentLength = Int(raw.littleEndianUInt16(at: position + 32))
            var localOffset = Int(raw.littleEndianUInt32(at: position + 42))
            let next = position + 46 + nameLength + extraLength + commentLength
            guard next <= directoryOffset + directorySize else {
                throw .truncated(file: source, field: field, expectedBytes: next, foundBytes: directoryOffset + directorySize)
            }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: raw[(position + 46)..<(position + 46 + nameLength)]), as: UTF8.self)
            // Zip64 extra field: 64-bit values for the 32-bit fields set to ffffffff, in this order.
            var extra = position + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let tag = raw.littleEndianUInt16(at: extra), size = Int(raw.littleEndianUInt16(at: extra + 2))
                if tag == 0x0001 {
                    var cursor = extra + 4
                    func next64() -> Int? {
                        guard cursor + 8 <= extra + 4 + size else { return nil }
                        defer { cursor += 8 }
                        return Int(clamping: raw.littleEndianUInt64(at: cursor))
                    }
                    if uncompressedSize == 0xFFFF_FFFF, let value = next64() { uncompressedSize = value }
                    if compressedSize == 0xFFFF_FFFF, let value = next64() { compressedSize = value }
                    if localOffset == 0xFFFF_FFFF, let value = next64() { localOffset = value }
                }
                extra += 4 + size
            }
            guard flags & 1 == 0 else {
                throw .unsupportedDataType(file: "\(source)/\(name)", field: "zip flags", found: "an encrypted entry",
                                           supported: ["unencrypted entries"])
            }
            guard raw.count >= 30, localOffset <= raw.count - 30, raw.littleEndianUInt32(at: localOffset) == 0x0403_4b50 else {
                throw .corruptCompressedData(file: "\(source)/\(name)", field: "local header",
                                             reason: "no local header signature at byte \(localOffset)")
            }
            let dataOffset = localOffset + 30 + Int(raw.littleEndianUInt16(at: localOffset + 26))
                + Int(raw.littleEndianUInt16(at: localOffset + 28))
            guard dataOffset <= raw.count, compressedSize <= raw.count - dataOffset else {
                throw .claimedSizeTooLarge(file: "\(source)/\(name)", field: "compressed size",
                                           claimed: "\(compressedSize) bytes", availableBytes: max(0, raw.count - dataOffset))
            }
            records.append(Record(name: name, method: method, crc32: crc, compressedSize: compressedSize,
                                  uncompressedSize: uncompressedSize, dataOffset: dataOffset))
            position = next
        }
        return records
    }
}
