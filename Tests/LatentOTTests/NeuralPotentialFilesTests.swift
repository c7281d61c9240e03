import Testing
import Foundation
import TensorModule
import NeuralNet
import Transport
import Datasets
import LatentOT

/// The neural-potential baseline as a model file: saved and loaded back to the same map, refused
/// with the file and field named when a file is missing or corrupt, and wired through the pipeline
/// (`train` → `sample --generator neural-potential`).
@Suite struct NeuralPotentialFilesTests {
    static let prefix = "neural-potential/"

    /// A small generator trained on 300 Gaussian codes of dimension 3, saved into a fresh store.
    func savedGenerator(steps: Int = 20) throws -> (NeuralPotentialGenerator, MemoryStore) {
        var rng = SeededGenerator(seed: 8)
        let codes = (0..<900).map { _ in Float(2 + 3 * rng.nextGaussian()) }
        let generator = NeuralPotentialGenerator(configuration: .init(dimension: 3, hiddenWidth: 16, hiddenLayers: 2, steps: steps, seed: 7))
        try generator.train(codes: codes)
        let store = MemoryStore(location: "model")
        try NeuralPotentialFiles.save(generator, training: BaselineTraining(neuralPotential: generator, seconds: 0, trainingSet: "test codes"),
                                      to: store, prefix: Self.prefix)
        return (generator, store)
    }

    @Test func loadedGeneratorMapsLikeTheSavedOne() throws {
        let (generator, store) = try savedGenerator()
        let loaded = try NeuralPotentialFiles.load(from: store, prefix: Self.prefix, dimension: 3)
        #expect(loaded.configuration == generator.configuration)
        #expect(loaded.normalization == generator.normalization)
        let points: [Float] = [0.1, -0.3, 0.7, -0.9, 0.2, 0.4]
        #expect(loaded.transport(points) == generator.transport(points), "same weights, same map")
        let training = try store.readJSON(BaselineTraining.self, named: Self.prefix + NeuralPotentialFiles.report)
        #expect(training.steps == 20 && training.stopReason == "steps" && training.neuralPotential == generator.configuration)
    }

    /// Each way a folder can be wrong, and the words the error must contain (the file, the field).
    @Test(arguments: [
        ("missing state", "model/neural-potential/potential.json: missing"),
        ("missing weights", "model/neural-potential/potential.safetensors: missing"),
        ("other dimension", "dimension 3, the autoencoder makes 4"),
        ("not json", "model/neural-potential/potential.json: corrupt"),
        ("zero width", "hiddenWidth"),
        ("negative scale", "normalization.scale"),
        ("short centre", "normalization.centre"),
        ("truncated weights", "model/neural-potential/potential.safetensors"),
        ("other width", "model/neural-potential/potential.safetensors: corrupt"),
    ])
    func corruptFilesAreNamed(damage: String, expected: String) throws {
        let (generator, store) = try savedGenerator(steps: 2)
        let stateName = Self.prefix + NeuralPotentialFiles.state, weightsName = Self.prefix + NeuralPotentialFiles.weights
        var state = try store.readJSON(NeuralPotentialFiles.State.self, named: stateName)
        var dimension = 3
        switch damage {
        case "missing state": store.remove(stateName)
        case "missing weights": store.remove(weightsName)
        case "other dimension": dimension = 4
        case "not json": try store.write(Data("{\"configuration\": 3}".utf8), named: stateName)
        case "zero width": state.configuration.hiddenWidth = 0
        case "negative scale": state.normalization?.scale = -1
        case "short centre": state.normalization?.centre.removeLast()
        case "truncated weights": try store.write(generator.safetensorsData().dropLast(40), named: weightsName)
        default: state.configuration.hiddenWidth = 17
        }
        if ["zero width", "negative scale", "short centre", "other width"].contains(damage) { try store.writeJSON(state, named: stateName) }
        #expect { try NeuralPotentialFiles.load(from: store, prefix: Self.prefix, dimension: dimension) } throws: { error in
            "\(error)".contains(expected)
        }
    }

    /// A time budget stops training early, says so, and the record carries the reason.
    @Test func timeBudgetStopsTraining() throws {
        var rng = SeededGenerator(seed: 3)
        let codes = (0..<400).map { _ in Float(rng.nextGaussian()) }
        let generator = NeuralPotentialGenerator(configuration: .init(dimension: 2, hiddenWidth: 8, hiddenLayers: 1, steps: 10_000_000,
                                                                      timeBudget: 0.2, seed: 1))
        try generator.train(codes: codes)
        #expect(generator.stoppedByTimeBudget && generator.step >= 1 && generator.step < 10_000_000)
        #expect(BaselineTraining(neuralPotential: generator, seconds: 0.2, trainingSet: "").stopReason == "time budget")
        #expect(throws: LatentOTError.self) { try NeuralPotentialGenerator.Configuration(dimension: 2, timeBudget: 0).validate() }
    }

    func blobs(_ count: Int, seed: UInt64) -> ImageDataset { BlobImages.dataset(count, seed: seed) }

    func configuration(baselines: [String]) -> PipelineConfiguration {
        var solver = SemiDiscreteSolver()
        solver.maxIterations = 30
        return PipelineConfiguration(
            dataset: "blobs", autoencoder: AutoencoderConfiguration(architecture: .mlp, imageShape: [1, 28, 28], latentDimension: 4),
            training: AutoencoderTrainer.Configuration(epochs: 1, batchSize: 16, seed: 2), solver: solver, source: .uniformBox(halfWidth: 1),
            baselines: baselines, neuralPotential: .init(dimension: 4, hiddenWidth: 16, hiddenLayers: 2, steps: 30, seed: 2), seed: 2)
    }

    /// The pipeline trains the baseline on the codes, a re-run skips it, and the model samples it
    /// deterministically; a model without it says how to get it.
    @Test func pipelineTrainsAndTheModelSamplesIt() throws {
        let store = MemoryStore(location: "model")
        let pipeline = TrainingPipeline(configuration: configuration(baselines: ["neural-potential"]))
        let result = try pipeline.run(train: blobs(48, seed: 1), test: blobs(8, seed: 2), store: store)
        #expect(result.neuralPotential?.step == 30 && result.vae == nil)
        var skipped: [String] = []
        _ = try pipeline.run(train: blobs(48, seed: 1), test: blobs(8, seed: 2), store: store) { event in
            if case .stageSkipped(let stage) = event { skipped.append(stage) }
        }
        #expect(skipped.contains("neural-potential"))
        let model = try GenerativeModel(store: store)
        let a = try model.images(count: 5, generator: .neuralPotential, sampler: .pure, seed: 4)
        let b = try GenerativeModel(store: store).images(count: 5, generator: .neuralPotential, sampler: .pure, seed: 4)
        #expect(a.images.shape == [5, 1, 28, 28] && a.images.scalars == b.images.scalars)

        let without = MemoryStore(location: "plain")
        _ = try TrainingPipeline(configuration: configuration(baselines: [])).run(train: blobs(48, seed: 1), test: blobs(8, seed: 2), store: without)
        #expect(without.files["neural-potential/potential.json"] == nil)
        #expect { try GenerativeModel(store: without).neuralPotential() } throws: { error in
            "\(error)".contains("--baselines including neural-potential")
        }
    }

    /// A trained folder takes a new baseline without retraining the autoencoder or the map, and
    /// retrains the potential when its settings change; other model settings are still refused.
    @Test func aBaselineCanBeAddedToATrainedModel() throws {
        let store = MemoryStore(location: "model")
        let train = blobs(48, seed: 1), test = blobs(8, seed: 2)
        _ = try TrainingPipeline(configuration: configuration(baselines: [])).run(train: train, test: test, store: store)
        let transportHeights = store.files["transport/heights.npy"]
        var started: [String] = []
        var withPotential = configuration(baselines: ["neural-potential"])
        _ = try TrainingPipeline(configuration: withPotential).run(train: train, test: test, store: store) { event in
            if case .stageStarted(let stage) = event { started.append(stage) }
        }
        #expect(started == ["autoencoder", "neural-potential"], "the autoencoder stage only loads its finished checkpoint")
        #expect(store.files["transport/heights.npy"] == transportHeights)
        #expect(try GenerativeModel(store: store).neuralPotential().configuration.steps == 30)

        withPotential.neuralPotential?.steps = 10
        let retrained = try TrainingPipeline(configuration: withPotential).run(train: train, test: test, store: store)
        #expect(retrained.neuralPotential?.step == 10)
        #expect(try GenerativeModel(store: store).neuralPotential().configuration.steps == 10)

        var otherModel = withPotential
        otherModel.autoencoder.latentDimension = 5
        #expect { try TrainingPipeline(configuration: otherModel).run(train: train, test: test, store: store) } throws: { error in
            "\(error)".contains("model/model.json: this folder holds a model trained with other settings")
        }
    }

    /// A new sharpening is recorded without retraining anything and changes the decoded images (the
    /// same codes); the VAE baseline trains for `vaeEpochs` without the perceptual term; model files
    /// written before these settings existed still load.
    @Test func sharpeningAndVAEEpochsAreBaselineSettings() throws {
        let store = MemoryStore(location: "model")
        let train = blobs(48, seed: 1), test = blobs(8, seed: 2)
        var plain = configuration(baselines: ["vae"])
        plain.vaeEpochs = 2
        let first = try TrainingPipeline(configuration: plain).run(train: train, test: test, store: store)
        let vaeReport = try store.readJSON(AutoencoderTrainingReport.self, named: "vae/report.json")
        #expect(vaeReport.epochs.count == 2 && first.autoencoderReport.epochs.count == 1)
        let before = try GenerativeModel(store: store).images(count: 6, generator: .ot, sampler: .pure, seed: 3).images

        var sharpened = plain
        sharpened.sharpening = ImageSharpening(amount: 1.5)
        var started: [String] = []
        _ = try TrainingPipeline(configuration: sharpened).run(train: train, test: test, store: store) { event in
            if case .stageStarted(let stage) = event { started.append(stage) }
        }
        #expect(started == ["autoencoder", "vae"], "both only load their finished checkpoints")
        let after = try GenerativeModel(store: store).images(count: 6, generator: .ot, sampler: .pure, seed: 3).images
        #expect(after.scalars == ImageSharpening(amount: 1.5).apply(before).scalars && after.scalars != before.scalars)

        var object = try JSONSerialization.jsonObject(with: store.files["model.json"]!) as! [String: Any]
        object["sharpening"] = nil; object["vaeEpochs"] = nil
        let older = try JSONDecoder().decode(PipelineConfiguration.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(older.sharpening == nil && older.vaeEpochs == nil && older.vaeTraining.epochs == older.training.epochs)
        #expect(older.vaeConfiguration.architecture == .mlp && older.vaeConfiguration.kind == .vae)
        var conv = older
        conv.vaeArchitecture = .conv
        #expect(conv.vaeConfiguration.architecture == .conv && conv.hasSameModel(as: older))
    }
}
