import Testing
import Foundation
import TensorModule
import TestSupport
import NeuralNet

/// Simple images: a bright axis-aligned rectangle at a random place on a dark background.
func rectangles(count: Int, side: Int = 28, seed: UInt64) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    var scalars = [Float](repeating: 0, count: count * side * side)
    for n in 0..<count {
        let w = max(1, side / 5) + Int(rng.next() % UInt64(side / 3 + 1)), h = max(1, side / 5) + Int(rng.next() % UInt64(side / 3 + 1))
        let x = Int(rng.next() % UInt64(side - w)), y = Int(rng.next() % UInt64(side - h))
        for i in y..<(y + h) { for j in x..<(x + w) { scalars[n * side * side + i * side + j] = 0.9 } }
    }
    return Tensor(shape: [count, 1, side, side], scalars: scalars)
}

@Suite(.serialized) struct TrainerTests {
    @Test(arguments: [Architecture.conv, .mlp])
    func lossDecreasesOnASimpleDataset(architecture: Architecture) throws {
        let model = try Autoencoder(architecture: architecture, imageShape: [1, 28, 28], latentDimension: 4, baseWidth: 4, seed: 1)
        let train = rectangles(count: 256, seed: 1), test = rectangles(count: 64, seed: 2)
        let trainer = AutoencoderTrainer(model: model, configuration: .init(epochs: 6, batchSize: 32, learningRate: 3e-3))
        let initial = trainer.evaluate(test).reconstruction
        var progressCalls = 0
        let records = trainer.fit(train: train, test: test, progress: { batch, batches, loss, rate in
            progressCalls += 1
            #expect(batch >= 1 && batch <= batches && loss.isFinite && rate >= 0)
        })
        #expect(progressCalls == 6 * 8)
        #expect(records.count == 6)
        let final = try #require(records.last?.testReconstructionLoss)
        #expect(final < 0.6 * initial, "\(architecture): test BCE \(initial) → \(final)")
        #expect(records.last!.trainLoss < records.first!.trainLoss)
    }

    @Test func vaeLossDecreases() throws {
        let model = try VariationalAutoencoder(architecture: .conv, imageShape: [1, 28, 28], latentDimension: 4, baseWidth: 4, seed: 1)
        let train = rectangles(count: 256, seed: 1), test = rectangles(count: 64, seed: 2)
        let trainer = AutoencoderTrainer(model: model, configuration: .init(epochs: 6, batchSize: 32, learningRate: 3e-3))
        let initial = trainer.evaluate(test)
        let final = try #require(trainer.fit(train: train, test: test).last)
        #expect(final.testLoss! < 0.7 * initial.total, "VAE test loss \(initial.total) → \(final.testLoss!)")
        #expect(final.testLoss! > final.testReconstructionLoss!) // the KL term is positive
        var rng = SeededGenerator(seed: 4)
        let samples = model.sample(count: 3, using: &rng)
        #expect(samples.shape == [3, 1, 28, 28] && samples.isFinite)
    }

    /// Runs `epochs` epochs, optionally stopping after `stopAfter` epochs and resuming from a
    /// JSON-encoded checkpoint in a freshly built model and trainer (as the tool does after a kill).
    func train(kind: ModelKind, epochs: Int, stopAfter: Int?, configuration: AutoencoderTrainer.Configuration) throws -> (TrainerState, [Float]) {
        struct Stop: Error {}
        let modelConfiguration = AutoencoderConfiguration(architecture: .conv, imageShape: [1, 28, 28], latentDimension: 3, baseWidth: 4, kind: kind)
        let train = rectangles(count: 70, seed: 5), test = rectangles(count: 20, seed: 6)
        var model = try makeAutoencoderModel(modelConfiguration, seed: 11)
        var trainer = AutoencoderTrainer(model: model, configuration: configuration)
        var checkpoint: Data?
        do {
            try trainer.fit(train: train, test: test) { record, state in
                checkpoint = try JSONEncoder().encode(state)
                if record.epoch == stopAfter { throw Stop() }
            }
        } catch is Stop {
            let state = try JSONDecoder().decode(TrainerState.self, from: checkpoint!)
            #expect(state.epoch == stopAfter)
            model = try makeAutoencoderModel(modelConfiguration, seed: 12345) // different initial weights: restore must overwrite
            trainer = AutoencoderTrainer(model: model, configuration: configuration)
            try trainer.restore(state)
            try trainer.fit(train: train, test: test)
        }
        return (trainer.state, model.decode(Tensor(shape: [2, 3], scalars: [0.1, -0.2, 0.3, 1, 0, -1])).scalars)
    }

    @Test(arguments: [ModelKind.autoencoder, .vae])
    func resumedRunEqualsUninterruptedRun(kind: ModelKind) throws {
        let configuration = AutoencoderTrainer.Configuration(epochs: 4, batchSize: 16, learningRate: 2e-3, cosineSchedule: true,
                                                             weightDecay: 1e-4, codeL1Weight: kind == .autoencoder ? 1e-3 : 0, seed: 7)
        let (whole, wholeImages) = try train(kind: kind, epochs: 4, stopAfter: nil, configuration: configuration)
        let (resumed, resumedImages) = try train(kind: kind, epochs: 4, stopAfter: 2, configuration: configuration)
        #expect(whole.epoch == 4 && resumed.epoch == 4)
        #expect(whole.parameters == resumed.parameters)
        #expect(whole.statistics == resumed.statistics)
        #expect(whole.optimizer == resumed.optimizer)
        #expect(whole.generator == resumed.generator)
        #expect(whole.records.map(\.trainLoss) == resumed.records.map(\.trainLoss))
        #expect(whole.records.map(\.testLoss) == resumed.records.map(\.testLoss))
        #expect(wholeImages == resumedImages)
    }

    @Test func sameSeedSameBytes() throws {
        func run(_ seed: UInt64) throws -> Data {
            let model = try Autoencoder(architecture: .conv, imageShape: [1, 28, 28], latentDimension: 4, baseWidth: 4, seed: seed)
            let trainer = AutoencoderTrainer(model: model, configuration: .init(epochs: 2, batchSize: 16, seed: seed))
            trainer.fit(train: rectangles(count: 64, seed: 9), test: nil)
            return model.safetensorsData()
        }
        let a = try run(3), b = try run(3), c = try run(4)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func stateJSONRoundTripAndRestoreChecks() throws {
        let model = try Autoencoder(architecture: .mlp, imageShape: [1, 4, 4], latentDimension: 2, seed: 1)
        let trainer = AutoencoderTrainer(model: model, configuration: .init(epochs: 1, batchSize: 4))
        trainer.fit(train: rectangles(count: 8, side: 4, seed: 1).reshaped([8, 1, 4, 4]), test: nil)
        let state = trainer.state
        let decoded = try JSONDecoder().decode(TrainerState.self, from: JSONEncoder().encode(state))
        #expect(decoded == state)
        let other = try Autoencoder(architecture: .mlp, imageShape: [1, 4, 4], latentDimension: 3, seed: 1)
        #expect(throws: NeuralNetError.self) { try AutoencoderTrainer(model: other, configuration: .init(epochs: 1, batchSize: 4)).restore(state) }
        #expect(throws: NeuralNetError.self) { try AutoencoderTrainer(model: model, configuration: .init(epochs: 1, batchSize: 8)).restore(state) }
        // A longer run may continue from it.
        try AutoencoderTrainer(model: model, configuration: .init(epochs: 3, batchSize: 4)).restore(state)
    }

    @Test func permutationIsAShuffle() throws {
        let model = try Autoencoder(architecture: .mlp, imageShape: [1, 4, 4], latentDimension: 2)
        let trainer = AutoencoderTrainer(model: model, configuration: .init(seed: 5))
        let p0 = trainer.permutation(epoch: 0, count: 100), p1 = trainer.permutation(epoch: 1, count: 100)
        #expect(p0.sorted() == Array(0..<100) && p0 != p1 && p0 != Array(0..<100))
        #expect(trainer.batchesPerEpoch(257) == 2 && trainer.batchesPerEpoch(258) == 3 && trainer.batchesPerEpoch(256) == 2)
        #expect(trainer.batchesPerEpoch(259) == 3)
    }
}
