import Foundation
import TensorModule
import Datasets

extension ToyExperiment {
    /// Training steps of the baseline: `baselineSteps`, or the baseline's default (GAN 3000, neural
    /// potential 2000: the settings its own tests and measurements were made with).
    public var baselineStepCount: Int {
        if let baselineSteps { return baselineSteps }
        switch generator {
        case .gan: return ToyGAN.Configuration().steps
        case .neuralPotential: return NeuralPotentialGenerator.Configuration(dimension: 2).steps
        case .ot: return 0
        }
    }

    /// Trains the baseline of `generator` on the M targets (the points the OT map would be solved
    /// on), samples `sampleCount` points from stream 3 of the seed, and scores them by the protocol
    /// of the OT samplers. Weights and batches come from `seed` too, so the same seed gives the same
    /// samples; only the training time depends on the machine.
    func runBaseline(seed: UInt64, progress: ((Int, Int) -> Void)?) throws -> Result {
        precondition(generator != .ot, "runBaseline: the OT map is not a baseline")
        let data = points(seed: seed)
        let steps = baselineStepCount
        let clock = ContinuousClock(), start = clock.now
        var samplerGenerator = SeededGenerator.stream(seed: seed, label: 3)
        let samples: [Float]
        var training: ToyBaselineTraining
        var transport: (sources: [Float], images: [Float], targets: [Float])? = nil
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(1, values.count)) }
        let trainingSet = "the \(targetCount) targets of the toy (the points the OT map is solved on)"
        switch generator {
        case .gan:
            var configuration = ToyGAN.Configuration(seed: seed)
            configuration.steps = steps
            let gan = ToyGAN(configuration: configuration)
            gan.train(points: data.targets) { progress?($0.step, steps) }
            let seconds = (clock.now - start) / .seconds(1)
            samples = gan.sample(count: sampleCount, using: &samplerGenerator)
            let tail = gan.records.suffix(100)
            training = ToyBaselineTraining(
                generator: generator.rawValue, seconds: seconds, steps: gan.step,
                parameterCount: gan.parameterCounts.generator + gan.parameterCounts.discriminator, gan: configuration, neuralPotential: nil,
                finalLosses: ["discriminator": mean(tail.map(\.discriminatorLoss)), "generator": mean(tail.map(\.generatorLoss))],
                trainingSet: trainingSet)
        case .neuralPotential:
            var configuration = NeuralPotentialGenerator.Configuration(dimension: 2, seed: seed)
            configuration.steps = steps
            let potential = NeuralPotentialGenerator(configuration: configuration)
            try potential.train(codes: data.targets) { progress?($0.step, steps) }
            let seconds = (clock.now - start) / .seconds(1)
            samples = potential.sample(count: sampleCount, using: &samplerGenerator)
            let tail = potential.records.suffix(100)
            training = ToyBaselineTraining(
                generator: generator.rawValue, seconds: seconds, steps: potential.step,
                parameterCount: potential.potentialNetwork.store.parameterCount, gan: nil, neuralPotential: configuration,
                finalLosses: ["regressionError": mean(tail.map(\.regressionError)), "transportCost": mean(tail.map(\.transportCost))],
                trainingSet: trainingSet)
            var lineGenerator = SeededGenerator.stream(seed: seed, label: 5)
            let sources = potential.sourcePoints(count: 300, using: &lineGenerator)
            transport = (sources, potential.normalisedMap(sources), potential.normalization?.apply(data.targets) ?? data.targets)
        case .ot:
            preconditionFailure()
        }
        let reports = [
            generator.rawValue: score(generator.rawValue, codes: samples, data: data, acceptance: 1, threshold: nil),
            "real": score("real", codes: data.moreReal, data: data, acceptance: 1, threshold: nil),
        ]
        let report = self.report(seed: seed, chosen: reports[generator.rawValue]!, samplers: reports, solution: nil, training: training)
        let picture = ToyPicture.render(toy: distribution.rawValue, real: data.fresh, generated: samples, generatorName: generator.rawValue,
                                        transport: transport)
        return Result(report: report, picture: picture, solution: nil)
    }
}
