import Foundation
import TensorModule
import Transport
import Datasets

/// The data every case works on: codes (a file of trained autoencoder codes, or a fixed clustered
/// synthetic set) normalised with `CodeNormalization`, and source points.
enum BenchData {
    /// The reference's source: uniform on `[-1/2, 1/2]^d`. Both solvers of case 2 solve the same
    /// problem, with codes normalised to `[-1, 1]^d` (`CodeNormalization`, half-width 1).
    static let source = SourceDistribution.uniformBox(halfWidth: 0.5)

    /// Where the codes came from, for the JSON lines and the baseline record's key.
    struct Codes {
        var values: [Float]
        var count: Int
        var dimension: Int
        var origin: String
    }

    /// `count` codes in `dimension` dimensions: `clusters` Gaussian clusters of equal size with
    /// centres `N(0, I)` and per-cluster standard deviations from 0.25 to 0.6 (a fixed seed), like
    /// the classes of an autoencoder's latent space; then normalised (`CodeNormalization`).
    static func syntheticCodes(count: Int, dimension: Int, clusters: Int = 10, seed: UInt64 = 0xC0DE5) -> Codes {
        var generator = SeededGenerator(seed: seed ^ UInt64(count) &* 31 ^ UInt64(dimension))
        var centres = [Double](repeating: 0, count: clusters * dimension)
        for i in 0..<centres.count { centres[i] = generator.nextGaussian() }
        let deviations = (0..<clusters).map { 0.25 + 0.35 * Double($0) / Double(max(1, clusters - 1)) }
        var values = [Float](repeating: 0, count: count * dimension)
        for i in 0..<count {
            let cluster = i % clusters
            for j in 0..<dimension {
                values[i * dimension + j] = Float(centres[cluster * dimension + j] + deviations[cluster] * generator.nextGaussian())
            }
        }
        let normalization = try! CodeNormalization(fitting: values, dimension: dimension)
        return Codes(values: normalization.apply(values), count: count, dimension: dimension,
                     origin: "synthetic: \(clusters) Gaussian clusters, seed \(seed), M=\(count), d=\(dimension)")
    }

    /// The first `limit` distinct rows of a 2-D `.npy` codes file, normalised.
    static func codesFile(_ path: String, limit: Int) throws -> Codes {
        let url = URL(fileURLWithPath: (path as NSString).expandingTildeInPath)
        let array = try NumpyArray.read(url)
        guard array.shape.count == 2, array.shape[0] > 0, array.shape[1] > 0 else {
            throw BenchError.badInput("\(path): expected a 2-D array of codes (M × d), found shape \(array.shape)")
        }
        let rows = array.shape[0], dimension = array.shape[1]
        let all = try array.floatValues()
        var seen = Set<[Float]>(), values: [Float] = []
        values.reserveCapacity(min(rows, limit) * dimension)
        for i in 0..<rows where seen.count < limit {
            let row = Array(all[(i * dimension)..<((i + 1) * dimension)])
            if seen.insert(row).inserted { values += row }
        }
        guard values.allSatisfy(\.isFinite) else { throw BenchError.badInput("\(path): codes must be finite") }
        let normalization = try CodeNormalization(fitting: values, dimension: dimension)
        let count = values.count / dimension
        return Codes(values: normalization.apply(values), count: count, dimension: dimension,
                     origin: "codes file \(url.lastPathComponent): first \(count) distinct of \(rows) rows, d=\(dimension)")
    }

    /// 256 samples of the eight Gaussians (the reference's toy), normalised.
    static func eightGaussians(count: Int = 256, seed: UInt64 = 1) -> Codes {
        var generator = SeededGenerator.stream(seed: seed, label: 1)
        let raw = ToyDistribution.eightGaussians.sample(count: count, using: &generator)
        let normalization = try! CodeNormalization(fitting: raw, dimension: 2)
        return Codes(values: normalization.apply(raw), count: count, dimension: 2,
                     origin: "eight Gaussians, \(count) samples, seed \(seed)")
    }

    /// `count` source points from index `start` of a scrambled Sobol sequence (row-major).
    static func sourcePoints(count: Int, dimension: Int, start: Int = 0, scrambleSeed: UInt64? = 7) -> [Float] {
        let sequence = SobolSequence(dimension: dimension, scrambleSeed: scrambleSeed)
        return source.points(start: start, count: count, dimension: dimension, sequence: sequence)
    }

    /// The Voronoi heights `-|y_i|²/2`: a meaningful assignment for the kernel case.
    static func voronoiHeights(_ codes: Codes) -> [Float] {
        (0..<codes.count).map { i in
            var squared: Float = 0
            for j in 0..<codes.dimension { let v = codes.values[i * codes.dimension + j]; squared += v * v }
            return -squared / 2
        }
    }
}

enum BenchError: Error, CustomStringConvertible {
    case badInput(String)
    case failed(String)

    var description: String {
        switch self {
        case .badInput(let message), .failed(let message): return message
        }
    }
}
