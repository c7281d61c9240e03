import Testing
import Foundation
import CZlib
import Datasets

@Suite struct GzipTests {
    let text = Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 * 31 % 251) })

    @Test func roundTripIsExact() throws {
        let compressed = Gzip.compress(text)
        #expect(Gzip.isCompressed(compressed))
        #expect(try Gzip.decompress(compressed, source: "t.gz") == text)
    }

    /// Modification time 0 and no name: the same input always gives the same bytes.
    @Test func compressionIsDeterministic() {
        let first = Gzip.compress(text), second = Gzip.compress(text)
        #expect(first == second)
        #expect(Array(first.prefix(10)) == [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03])
    }

    /// Detection reads the bytes: a gzip stream in a file with no .gz name still decompresses,
    /// and plain bytes pass through unchanged.
    @Test func detectionIsByMagicNotName() throws {
        let array = IDXArray(dimensions: [2, 3], storage: .uint8([1, 2, 3, 4, 5, 6]))
        let folder = Fixtures.makeFolder("gzip")
        defer { Fixtures.removeFolder(folder) }
        let hidden = Fixtures.write(Gzip.compress(array.encode()), to: folder, "plain-name.idx")
        let plain = Fixtures.write(array.encode(), to: folder, "misleading.gz")
        #expect(try IDXArray.read(hidden) == array)
        #expect(try IDXArray.read(plain) == array)
        #expect(try Gzip.decompressIfCompressed(array.encode(), source: "x") == array.encode())
    }

    @Test func zlibStreamsAreAcceptedToo() throws {
        var size = compressBound(uLong(text.count))
        var zlib = [UInt8](repeating: 0, count: Int(size))
        let input = [UInt8](text)
        #expect(compress(&zlib, &size, input, uLong(input.count)) == Z_OK)
        #expect(zlib[0] == 0x78) // a zlib header, not gzip
        #expect(try Gzip.decompress(Data(zlib[0..<Int(size)]), source: "z") == text)
    }

    @Test func concatenatedMembersAreJoined() throws {
        let joined = Gzip.compress(Data("hello ".utf8)) + Gzip.compress(Data("world".utf8))
        #expect(try Gzip.decompress(joined, source: "j.gz") == Data("hello world".utf8))
    }

    /// 64 MiB of zeros compress to ~64 KiB; with a 1 MiB limit the reader stops early.
    @Test func aGzipBombStopsAtTheSizeLimit() throws {
        let bomb = Gzip.compress(Data(count: 64 << 20), level: 9)
        #expect(bomb.count < 200_000)
        let error = #expect(throws: DatasetError.self) { try Gzip.decompress(bomb, source: "bomb.gz", sizeLimit: 1 << 20) }
        #expect(error == .sizeLimitExceeded(file: "bomb.gz", field: "gzip stream", limitBytes: 1 << 20))
        #expect(error?.description.contains("bomb.gz: gzip stream: decompressed data exceeds the limit of 1048576 bytes") == true)
        let idxError = #expect(throws: DatasetError.self) { try IDXArray.decode(bomb, source: "bomb.gz", sizeLimit: 1 << 20) }
        #expect(idxError?.file == "bomb.gz")
    }

    @Test func aCutStreamIsCorrupt() {
        let compressed = Gzip.compress(text)
        let error = #expect(throws: DatasetError.self) { try Gzip.decompress(compressed.prefix(compressed.count / 2), source: "cut.gz") }
        guard case .corruptCompressedData(let file, let field, let reason) = error else {
            Issue.record("expected corruptCompressedData, got \(String(describing: error))"); return
        }
        #expect(file == "cut.gz" && field == "gzip stream" && reason.contains("cut short"))
    }

    @Test func damagedBytesAndTrailingGarbageAreCorrupt() {
        var damaged = Gzip.compress(text)
        damaged[damaged.count - 6] ^= 0xFF // inside the CRC-32 trailer
        let crcError = #expect(throws: DatasetError.self) { try Gzip.decompress(damaged, source: "d.gz") }
        #expect(crcError?.description.contains("incorrect data check") == true)

        let trailing = Gzip.compress(text) + Data([1, 2, 3])
        let trailingError = #expect(throws: DatasetError.self) { try Gzip.decompress(trailing, source: "t.gz") }
        #expect(trailingError?.description.contains("3 unexpected bytes after the end") == true)
        // Zero padding after the stream is allowed, as gunzip allows it.
        #expect((try? Gzip.decompress(Gzip.compress(text) + Data(count: 8), source: "p.gz")) == text)
    }
}
