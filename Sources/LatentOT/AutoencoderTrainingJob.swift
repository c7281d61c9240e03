import Foundation
import TensorModule
import NeuralNet
import Datasets
import ImageFormats

/// What `latentot autoencoder train` reports (`report.json`).
public struct AutoencoderTrainingReport: Codable, Equatable, Sendable {
    public var dataset: String
    public var kind: String
    public var architecture: String
    public var imageShape: [Int]
    public var latentDimension: Int
    public var parameterCount: Int
    public var trainCount: Int
    public var testCount: Int
    public var seed: UInt64
    /// What the losses are: e.g. "bce: binary cross-entropy summed over pixels, mean over images".
    public var lossDefinition: String
    public var epochs: [EpochRecord]
    public var finalTrainLoss: Double?
    public var finalTestLoss: Double?
    public var finalTestReconstructionLoss: Double?
    public var secondsPerEpoch: Double?
}

/// Trains an autoencoder (or the VAE baseline) with a checkpoint after every epoch, so an
/// interrupted run resumes where it stopped and ends with the same weights as one that was not.
public struct AutoencoderTrainingJob {
    public var modelConfiguration: AutoencoderConfiguration
    public var trainerConfiguration: AutoencoderTrainer.Configuration
    /// Artifact names start with this (the pipeline keeps several models in one folder).
    public var prefix: String

    public init(modelConfiguration: AutoencoderConfiguration, trainerConfiguration: AutoencoderTrainer.Configuration,
                prefix: String = "") {
        self.modelConfiguration = modelConfiguration
        self.trainerConfiguration = trainerConfiguration
        self.prefix = prefix
    }

    /// Events for the tool's progress display.
    public enum Event {
        case resumed(epoch: Int)
        case batch(epoch: Int, batch: Int, batches: Int, loss: Double, imagesPerSecond: Double)
        case epochFinished(EpochRecord)
    }

    /// Trains on `data.train`, evaluates on `data.test` after each epoch and writes the model, the
    /// checkpoint, `report.json`, `loss.png` and `reconstructions.png` into `store`.
    /// With `resume`, continues from the store's checkpoint when there is one.
    @discardableResult
    public func run(train: ImageDataset, test: ImageDataset, store: ArtifactStore, resume: Bool,
                    events: (Event) -> Void = { _ in }) throws -> (model: AutoencoderModel, report: AutoencoderTrainingReport) {
        guard Array(train.images.shape.dropFirst()) == modelConfiguration.imageShape else {
            throw LatentOTError.invalidValue(field: "image shape", expected: "\(modelConfiguration.imageShape)",
                                             found: "\(Array(train.images.shape.dropFirst())) in \(train.name)")
        }
        try modelConfiguration.validate()
        let model = try makeAutoencoderModel(modelConfiguration, seed: trainerConfiguration.seed)
        let trainer = AutoencoderTrainer(model: model, configuration: trainerConfiguration)
        if trainerConfiguration.perceptualWeight > 0, let autoencoder = model as? Autoencoder {
            let network = try PerceptualNetwork.loadOrTrain(train: train, test: test, store: store, prefix: prefix,
                                                            seed: trainerConfiguration.seed)
            let loss = PerceptualLoss(network: network, weight: trainerConfiguration.perceptualWeight,
                                      imageCount: trainerConfiguration.perceptualImages)
            loss.rememberTargets(train.images)
            autoencoder.perceptualLoss = loss
        }
        if resume, let data = try store.read(prefix + AutoencoderFiles.checkpoint) {
            let state: TrainerState
            do { state = try JSONDecoder().decode(TrainerState.self, from: data) } catch {
                throw LatentOTError.corruptFile(store.describe(prefix + AutoencoderFiles.checkpoint), reason: JSONCoding.reason(error))
            }
            do { try trainer.restore(state) } catch {
                throw LatentOTError.incompatible(store.describe(prefix + AutoencoderFiles.checkpoint),
                                                 reason: "was written by a different run (\(error)); remove it or drop --resume")
            }
            events(.resumed(epoch: state.epoch))
        }
        try trainer.fit(train: train.images, test: test.images, progress: { batch, batches, loss, rate in
            events(.batch(epoch: trainer.epoch, batch: batch, batches: batches, loss: loss, imagesPerSecond: rate))
        }, epochEnd: { record, state in
            try AutoencoderFiles.save(model, to: store, prefix: prefix)
            try store.write(JSONEncoder().encode(state), named: prefix + AutoencoderFiles.checkpoint)
            events(.epochFinished(record))
        })
        if try store.read(prefix + AutoencoderFiles.weights) == nil {
            try AutoencoderFiles.save(model, to: store, prefix: prefix)
        }
        let records = trainer.records
        let report = AutoencoderTrainingReport(
            dataset: train.name, kind: modelConfiguration.kind.rawValue, architecture: modelConfiguration.architecture.rawValue,
            imageShape: modelConfiguration.imageShape, latentDimension: modelConfiguration.latentDimension,
            parameterCount: model.parameterCount, trainCount: train.count, testCount: test.count, seed: trainerConfiguration.seed,
            lossDefinition: trainerConfiguration.loss == .bce
                ? "bce: binary cross-entropy summed over pixels, mean over images" + (modelConfiguration.kind == .vae ? " (+ KL for the total)" : "")
                : "mse: squared error summed over pixels, mean over images" + (modelConfiguration.kind == .vae ? " (+ KL for the total)" : ""),
            epochs: records, finalTrainLoss: records.last?.trainLoss, finalTestLoss: records.last?.testLoss,
            finalTestReconstructionLoss: records.last?.testReconstructionLoss,
            secondsPerEpoch: records.isEmpty ? nil : records.map(\.seconds).reduce(0, +) / Double(records.count))
        try store.writeJSON(report, named: prefix + AutoencoderFiles.report)
        try store.write(PNG.encode(Self.lossPlot(records)), named: prefix + AutoencoderFiles.lossPlot)
        try store.write(PNG.encode(Self.reconstructionGrid(model: model, test: test)), named: prefix + AutoencoderFiles.reconstructions)
        return (model, report)
    }

    /// Train and test loss per epoch.
    static func lossPlot(_ records: [EpochRecord]) -> RasterImage {
        var plot = LinePlot(title: "Autoencoder loss", xLabel: "epoch", yLabel: "loss per image")
        let epochs = records.map { Double($0.epoch) }
        plot.add(y: records.map(\.trainLoss), x: epochs, label: "train", marker: .disc)
        let tested = records.filter { $0.testLoss != nil }
        if !tested.isEmpty { plot.add(y: tested.map { $0.testLoss! }, x: tested.map { Double($0.epoch) }, label: "test", marker: .disc) }
        return plot.render()
    }

    /// Up to 16 test images spread over the test set (top row) above their reconstructions (bottom row).
    static func reconstructionGrid(model: AutoencoderModel, test: ImageDataset) -> RasterImage {
        let count = min(16, test.count)
        let shown = test.subset((0..<count).map { $0 * test.count / count })
        let codes = model.codes(shown.images)
        let decoded = model.decode(codes)
        return ImageGrid.make(rows: [shown.images, decoded], labels: ["test", "reconstruction"])
    }
}
