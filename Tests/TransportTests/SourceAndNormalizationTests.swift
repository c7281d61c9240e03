import Testing
import TensorModule
import Transport

@Suite struct SourceAndNormalizationTests {
    @Test func boxPointsFillTheBox() {
        let source = SourceDistribution.uniformBox(halfWidth: 2)
        let sequence = SobolSequence(dimension: 3, scrambleSeed: 1)
        let points = source.points(start: 0, count: 4096, dimension: 3, sequence: sequence)
        #expect(points.allSatisfy { $0 > -2 && $0 < 2 })
        let mean = points.reduce(0, +) / Float(points.count)
        #expect(abs(mean) < 0.01)
        // Variance of U(-2, 2) is 4/3.
        let variance = points.map { $0 * $0 }.reduce(0, +) / Float(points.count)
        #expect(abs(variance - 4.0 / 3) < 0.02)
    }

    @Test func gaussianPointsAreStandardNormal() {
        let sequence = SobolSequence(dimension: 2, scrambleSeed: 5)
        let points = SourceDistribution.gaussian.points(start: 0, count: 1 << 14, dimension: 2, sequence: sequence)
        let mean = points.reduce(0, +) / Float(points.count)
        let variance = points.map { $0 * $0 }.reduce(0, +) / Float(points.count)
        #expect(abs(mean) < 0.01)
        #expect(abs(variance - 1) < 0.02)
        #expect(points.allSatisfy { $0.isFinite })
    }

    @Test func sourceIsCodable() throws {
        for source in [SourceDistribution.uniformBox(halfWidth: 1.5), .gaussian] {
            let data = try JSONEncoderForTests.encode(source)
            #expect(try JSONEncoderForTests.decode(SourceDistribution.self, from: data) == source)
        }
    }

    @Test func normalisationCentresScalesAndInverts() throws {
        let codes: [Float] = [1, 10, 3, 14, 5, 18, 7, 30]
        let normalisation = try CodeNormalization(fitting: codes, dimension: 2)
        let normalised = normalisation.apply(codes)
        let maxAbs = normalised.map { abs($0) }.max()!
        #expect(abs(maxAbs - 1) < 1e-6)
        // Centred per coordinate.
        #expect(abs(stride(from: 0, to: 8, by: 2).map { normalised[$0] }.reduce(0, +)) < 1e-5)
        #expect(abs(stride(from: 1, to: 8, by: 2).map { normalised[$0] }.reduce(0, +)) < 1e-5)
        let back = normalisation.invert(normalised)
        for (a, b) in zip(back, codes) { #expect(abs(a - b) < 1e-4) }
        #expect(throws: TransportError.self) { _ = try CodeNormalization(fitting: [], dimension: 2) }
        #expect(throws: TransportError.self) { _ = try CodeNormalization(fitting: [1, .nan], dimension: 2) }
        // Codes near ±3e38 made the extended sampler write ±inf: beyond 1e30 they are refused, naming the entry.
        #expect { _ = try CodeNormalization(fitting: [1, 2, -3e38, 4], dimension: 2) } throws: { error in
            "\(error)".contains("codes[1][0]") && "\(error)".contains("1e30")
        }
        _ = try CodeNormalization(fitting: [1, 2, -1e30, 4], dimension: 2)
    }
}

import Foundation

enum JSONEncoderForTests {
    static func encode<T: Encodable>(_ value: T) throws -> Data { try JSONEncoder().encode(value) }
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T { try JSONDecoder().decode(type, from: data) }
}
