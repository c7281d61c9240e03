import Testing
import Foundation
import TensorModule
import NeuralNet
import Datasets
import LatentOT

@Suite struct AutoencoderTrainingJobTests {
    func dataset(_ count: Int, seed: UInt64) -> ImageDataset { BlobImages.dataset(count, seed: seed) }

    func job(epochs: Int) -> AutoencoderTrainingJob {
        AutoencoderTrainingJob(
            modelConfiguration: AutoencoderConfiguration(architecture: .mlp, imageShape: [1, 28, 28], latentDimension: 4),
            trainerConfiguration: AutoencoderTrainer.Configuration(epochs: epochs, batchSize: 16, seed: 3))
    }

    /// A run stopped after one epoch and resumed from its checkpoint ends with the same bytes as a
    /// run that was never interrupted.
    @Test func resumedRunEqualsUninterruptedRun() throws {
        let train = dataset(64, seed: 1), test = dataset(16, seed: 2)
        let whole = MemoryStore(), split = MemoryStore()
        try job(epochs: 2).run(train: train, test: test, store: whole, resume: false)
        try job(epochs: 1).run(train: train, test: test, store: split, resume: false)
        var resumedEpochs: [Int] = []
        try job(epochs: 2).run(train: train, test: test, store: split, resume: true) { event in
            if case .resumed(let epoch) = event { resumedEpochs.append(epoch) }
        }
        #expect(resumedEpochs == [1])
        #expect(whole.files[AutoencoderFiles.weights] == split.files[AutoencoderFiles.weights])
        let report = try split.readJSON(AutoencoderTrainingReport.self, named: AutoencoderFiles.report)
        #expect(report.epochs.map(\.epoch) == [1, 2])
        #expect(report.finalTestLoss != nil)
        for name in [AutoencoderFiles.lossPlot, AutoencoderFiles.reconstructions, AutoencoderFiles.configuration] {
            #expect(split.files[name] != nil, "\(name) written")
        }
    }

    @Test func loadingNamesTheMissingOrCorruptFile() throws {
        let store = MemoryStore(location: "model")
        try job(epochs: 1).run(train: dataset(32, seed: 1), test: dataset(8, seed: 2), store: store, resume: false)
        let loaded = try AutoencoderFiles.load(from: store)
        #expect(loaded.latentDimension == 4)

        var weights = store.files[AutoencoderFiles.weights]!
        weights.removeLast(100)
        try store.write(weights, named: AutoencoderFiles.weights)
        #expect { try AutoencoderFiles.load(from: store) } throws: { error in
            "\(error)".contains("model/autoencoder.safetensors")
        }
        store.remove(AutoencoderFiles.configuration)
        #expect(throws: LatentOTError.missingFile("model/autoencoder.json")) { try AutoencoderFiles.load(from: store) }
        try store.write(Data("{\"architecture\": 3}".utf8), named: AutoencoderFiles.configuration)
        #expect { try AutoencoderFiles.load(from: store) } throws: { error in
            "\(error)".contains("model/autoencoder.json: corrupt")
        }
    }

    @Test func aCheckpointOfAnotherRunIsRefused() throws {
        let store = MemoryStore(location: "model")
        try job(epochs: 1).run(train: dataset(32, seed: 1), test: dataset(8, seed: 2), store: store, resume: false)
        var other = job(epochs: 2)
        other.trainerConfiguration.learningRate = 0.5
        #expect { try other.run(train: dataset(32, seed: 1), test: dataset(8, seed: 2), store: store, resume: true) } throws: { error in
            "\(error)".contains("model/checkpoint.json")
        }
    }
}
