import TensorModule
import Transport

/// Generated codes in the codes' own coordinates (the normalisation undone).
public struct GeneratedCodes: Sendable {
    public var codes: [Float]
    public var count: Int
    public var acceptanceRate: Double
    public var angleThreshold: Double?
    /// Best target (training code index) of each sample.
    public var bestTargets: [Int32]
}

/// Samples codes through a solved map: the pure map or the extended sampler.
public struct LatentSampler {
    public let solution: TransportSolutionFiles
    private let map: TransportMap

    public init(solution: TransportSolutionFiles) {
        self.solution = solution
        map = solution.map()
    }

    public func sample(count: Int, sampler: SamplerChoice, seed: UInt64) throws -> GeneratedCodes {
        var generator = SeededGenerator.stream(seed: seed, label: 0x5A4D)
        let samples: TransportSamples
        switch sampler {
        case .pure:
            samples = map.pure(count: count, using: &generator)
        case .extended(let threshold, let neighbours, let blend, let rejected):
            samples = map.extended(count: count, threshold: threshold, neighbours: neighbours, blend: blend,
                                   rejected: rejected, using: &generator)
            guard samples.bestTargets.count == count else {
                throw LatentOTError.invalidValue(field: "extended sampler", expected: "\(count) accepted samples",
                                                 found: "\(samples.bestTargets.count) after \(samples.sourcePointsDrawn) draws (acceptance \(samples.acceptanceRate)); raise --angle or --acceptance")
            }
        }
        // Pure samples are training codes: copied by index, so they are exact (no round trip through the normalisation).
        let d = solution.dimension
        let codes = sampler == .pure
            ? samples.bestTargets.flatMap { solution.codes[(Int($0) * d)..<((Int($0) + 1) * d)] }
            : solution.normalization.invert(samples.codes)
        return GeneratedCodes(codes: codes, count: samples.bestTargets.count,
                              acceptanceRate: samples.acceptanceRate, angleThreshold: samples.angleThreshold,
                              bestTargets: samples.bestTargets)
    }
}
