import Testing
import Foundation
import Datasets

/// `NumpyRowFile` reads row ranges of files `NumpyArray` wrote, and refuses what it cannot read in place.
@Suite struct NumpyRowFileTests {
    static func write(_ array: NumpyArray, _ name: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rows-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent(name)
        try array.encode().write(to: url)
        return url.path
    }

    @Test func rangesEqualTheWholeArray() throws {
        let values = (0..<(7 * 3)).map { Float($0) * 0.25 - 2 }
        for array in [NumpyArray(shape: [7, 3], storage: .float32(values)),
                      NumpyArray(shape: [7, 3], storage: .float64(values.map(Double.init)))] {
            let path = try Self.write(array, "codes.npy")
            let file = try NumpyRowFile(path: path)
            #expect(file.rows == 7 && file.columns == 3)
            for range in [0..<7, 0..<1, 2..<5, 6..<7, 3..<3] {
                #expect(try file.read(rows: range) == Array(values[(range.lowerBound * 3)..<(range.upperBound * 3)]))
            }
        }
    }

    @Test func refusesWhatItCannotReadInPlace() throws {
        func message(_ path: String) -> String {
            do { _ = try NumpyRowFile(path: path); return "accepted" } catch { return "\(error)" }
        }
        let ints = try Self.write(NumpyArray(shape: [2, 2], storage: .int32([1, 2, 3, 4])), "ints.npy")
        #expect(message(ints).contains("'<i4'"))
        let cube = try Self.write(NumpyArray(shape: [2, 1, 2], storage: .float32([1, 2, 3, 4])), "cube.npy")
        #expect(message(cube).contains("2-D"))
        let empty = try Self.write(NumpyArray(shape: [0, 2], storage: .float32([])), "empty.npy")
        #expect(message(empty).contains("at least one row"))

        let good = NumpyArray(shape: [4, 2], storage: .float32([1, 2, 3, 4, 5, 6, 7, 8])).encode()
        let folder = URL(fileURLWithPath: ints).deletingLastPathComponent()
        let truncated = folder.appendingPathComponent("truncated.npy")
        try good.dropLast(3).write(to: truncated)
        #expect(message(truncated.path).contains("shape"))
        let gzipped = folder.appendingPathComponent("gzipped.npy")
        try Gzip.compress(good).write(to: gzipped)
        #expect(message(gzipped.path).contains("decompress it first"))
        let garbage = folder.appendingPathComponent("garbage.npy")
        try Data("not a numpy file at all".utf8).write(to: garbage)
        #expect(message(garbage.path).contains("magic"))
        #expect(message(folder.appendingPathComponent("missing.npy").path).contains("no such file"))
    }

    @Test func nonFiniteRowsAreRefusedWhereTheyAre() throws {
        let path = try Self.write(NumpyArray(shape: [3, 2], storage: .float32([0, 1, 2, .nan, 4, 5])), "nan.npy")
        let file = try NumpyRowFile(path: path)
        #expect(try file.read(rows: 2..<3) == [4, 5])
        #expect(throws: DatasetError.self) { try file.read(rows: 0..<2) }
        do { _ = try file.read(rows: 1..<2); Issue.record("NaN accepted") } catch {
            #expect("\(error)".contains("row 1, column 1"))
        }
    }
}
