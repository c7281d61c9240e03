import Foundation
import TensorModule
import Transport

/// Small problems shared by the tests.
enum TestProblems {
    /// `count` targets in 8 tight clusters on a circle of radius 2 (std 0.02), the AE-OT toy, then
    /// normalised into the source box by `CodeNormalization`.
    static func eightGaussians(count: Int, seed: UInt64) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        var codes: [Float] = []
        for _ in 0..<count {
            let angle = Double(generator.next() % 8) * Double.pi / 4
            codes.append(Float(2 * cos(angle) + 0.02 * generator.nextGaussian()))
            codes.append(Float(2 * sin(angle) + 0.02 * generator.nextGaussian()))
        }
        let normalisation = try! CodeNormalization(fitting: codes, dimension: 2)
        return normalisation.apply(codes)
    }

    /// `count × dimension` targets uniform in `[-extent, extent]^d`.
    static func uniform(count: Int, dimension: Int, extent: Double = 0.8, seed: UInt64) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        return (0..<(count * dimension)).map { _ in Float((2 * generator.nextUnitDouble() - 1) * extent) }
    }
}
