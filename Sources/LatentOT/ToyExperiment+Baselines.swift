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
        let samples: [Float], training: BaselineTraining
        var transport: (sources: [Float], images: [Float], targets: [Float])? = nil
        let trainingSet = "the \(targetCount) targets of the toy (the points the OT map is solved on)"
        switch generator {
        case .gan:
            var configuration = ToyGAN.Configuration(seed: seed)
            configuration.steps = steps
            let gan = ToyGAN(configuration: configuration)
            gan.train(points: data.targets) { progress?($0.step, steps) }
            training = BaselineTraining(gan: gan, seconds: (clock.now - start) / .seconds(1), trainingSet: trainingSet)
            samples = gan.sample(count: sampleCount, using: &samplerGenerator)
        case .neuralPotential:
            var configuration = NeuralPotentialGenerator.Configuration(dimension: 2, seed: seed)
            configuration.steps = steps
            let potential = NeuralPotentialGenerator(configuration: configuration)
            try potential.train(codes: data.targets) { progress?($0.step, steps) }
            training = BaselineTraining(neuralPotential: potential, seconds: (clock.now - start) / .seconds(1), trainingSet: trainingSet)
            samples = potential.sample(count: sampleCount, using: &samplerGenerator)
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
