import ArgumentParser
import Foundation
import TensorModule
import NeuralNet
import Transport
import Datasets
import LatentOT

/// `latentot train`: the whole generative model from images.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a generative model: autoencoder, codes, semi-discrete OT, baselines (resumable).",
        discussion: "Re-running the same command after an interruption continues where it stopped.")

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var autoencoderOptions: AutoencoderOptions
    @OptionGroup var solverOptions: SolverOptions
    @OptionGroup var seedOption: SeedOption

    @Option(help: "Baselines to train beside the model, comma-separated: vae, neural-potential; or none (the Gaussian baseline needs no training).")
    var baselines: String = "vae,neural-potential"

    @Option(help: "Neural-potential baseline: mini-batch OT problems solved (each followed by 5 regression steps).")
    var neuralPotentialSteps: Int = 2000

    @Option(help: "Neural-potential baseline: stop after this many seconds even if the steps are not done (the result then depends on the machine's speed).")
    var neuralPotentialBudget: Double = 120

    @Option(help: "Epochs of the VAE baseline (default: --epochs).")
    var vaeEpochs: Int?

    @Option(help: "Body of the VAE baseline: mlp or conv (default: --architecture).")
    var vaeArchitecture: Architecture?

    @Option(help: "Sharpening after the decoder, x + A·(x − blur(x)) clamped to [0, 1]; 0: none. Re-running train with another value changes only this.")
    var sharpen: Double = 0

    @Option(help: "σ in pixels of the blur of --sharpen.")
    var sharpenRadius: Double = 1

    @Option(help: "Model folder.")
    var out: String

    @Flag(help: "Skip the evaluation at the end.")
    var noEvaluate = false

    @Flag(help: "Solve the OT stage across the ranks of an MPI job (run under `mpirun -np K`): rank 0 trains, encodes and writes every file, all ranks solve; Adam only. See docs/distributed.md.")
    var distributed = false

    /// The baselines of `--baselines`, in the order given, without repeats.
    var baselineList: [GeneratorChoice] {
        guard baselines != "none" else { return [] }
        var list: [GeneratorChoice] = []
        for name in baselines.split(separator: ",") {
            if let choice = GeneratorChoice(rawValue: String(name)), !list.contains(choice) { list.append(choice) }
        }
        return list
    }

    func validate() throws {
        let trainable: [GeneratorChoice] = [.vae, .neuralPotential]
        for name in baselines.split(separator: ",", omittingEmptySubsequences: false) where baselines != "none" {
            guard let choice = GeneratorChoice(rawValue: String(name)), trainable.contains(choice) else {
                throw ValidationError("--baselines must be a comma-separated list of vae, neural-potential, or none; got '\(name)' in '\(baselines)'")
            }
        }
        guard neuralPotentialSteps >= 1 else { throw ValidationError("--neural-potential-steps must be ≥ 1, got \(neuralPotentialSteps)") }
        guard neuralPotentialBudget > 0 && neuralPotentialBudget.isFinite else {
            throw ValidationError("--neural-potential-budget must be > 0 seconds, got \(neuralPotentialBudget)")
        }
        do { try ImageSharpening(amount: sharpen, radius: sharpenRadius).validate() } catch { throw ValidationError("--sharpen/--sharpen-radius: \(error)") }
        if let vaeEpochs, vaeEpochs < 0 { throw ValidationError("--vae-epochs must be ≥ 0, got \(vaeEpochs)") }
        guard autoencoderOptions.kind == .autoencoder else { throw ValidationError("train builds on a plain autoencoder: --kind must be autoencoder") }
    }

    func run() throws {
        if distributed { return try runDistributed() } // DistributedTrain.swift
        try train()
    }

    /// The OT stage's settings, as recorded in `model.json`. With `--distributed`, `--method` defaults
    /// to adam and `--initial-heights` to voronoi (what the distributed solver implements), so the
    /// same model comes from `train --method adam --initial-heights voronoi` in one process.
    var solverSettings: SemiDiscreteSolver {
        var settings = solverOptions.solver
        if distributed && solverOptions.method == nil { settings.method = .adam }
        if distributed && solverOptions.initialHeights == nil { settings.initialHeights = .voronoi }
        return settings
    }

    /// Loads the data, runs the pipeline (its OT stage by `transportSolver` when given, which then
    /// shows its own progress) and the evaluation. `checkData` sees the training images first.
    func train(transportSolver: TrainingPipeline.TransportSolver? = nil, checkData: (ImageDataset) throws -> Void = { _ in }) throws {
        let (train, test) = try loadDataset(dataOptions, seed: seedOption.seed)
        log("\(train.name): \(train.count) training and \(test.count) test images of shape \(train.imageShape)")
        try checkData(train)
        let autoencoder = autoencoderOptions.modelConfiguration(imageShape: train.imageShape)
        let trainsPotential = baselineList.contains(.neuralPotential)
        let configuration = PipelineConfiguration(
            dataset: NamedDataset.canonical(dataOptions.data), trainLimit: dataOptions.limit, autoencoder: autoencoder,
            training: autoencoderOptions.trainerConfiguration(seed: seedOption.seed), solver: solverSettings,
            source: solverOptions.source.distribution, baselines: baselineList.map(\.rawValue),
            neuralPotential: trainsPotential ? NeuralPotentialGenerator.Configuration(
                dimension: autoencoder.latentDimension, steps: neuralPotentialSteps, timeBudget: neuralPotentialBudget, seed: seedOption.seed) : nil,
            vaeEpochs: vaeEpochs, vaeArchitecture: vaeArchitecture, sharpening: sharpen > 0 ? ImageSharpening(amount: sharpen, radius: sharpenRadius) : nil,
            seed: seedOption.seed)
        let store = try FolderStore(out, create: true)
        var bar: ProgressReporter? = nil
        let pipeline = TrainingPipeline(configuration: configuration, transportSolver: transportSolver)
        let result = try pipeline.run(train: train, test: test, store: store) { event in
            switch event {
            case .stageStarted(let stage):
                log("stage \(stage)")
                if stage == "transport" && transportSolver == nil {
                    bar = ProgressReporter("transport", total: configuration.solver.maxIterations, unit: "step",
                                          budget: configuration.solver.timeBudget, totalIsLimit: true)
                }
                if stage == "neural-potential" {
                    bar = ProgressReporter("neural potential", total: configuration.neuralPotentialConfiguration.steps, unit: "step")
                }
            case .stageSkipped(let stage): log("stage \(stage): already done, skipped")
            case .note(let text): log(text)
            case .autoencoder(let label, let inner):
                switch inner {
                case .resumed(let epoch): log("\(label): resuming after epoch \(epoch)")
                case .batch(let epoch, let batch, let batches, let loss, _):
                    if batch == 1 { bar = ProgressReporter("\(label) epoch \(epoch + 1)/\(label == "vae" ? configuration.vaeTraining.epochs : configuration.training.epochs)", total: batches, unit: "batch") }
                    bar?.update(batch, status: String(format: "loss %.2f", loss))
                case .epochFinished(let record):
                    log(String(format: "%@: epoch %d train %.2f test %.2f (%.1f s)", label, record.epoch, record.trainLoss,
                               record.testLoss ?? .nan, record.seconds))
                }
            case .neuralPotential(let step, _):
                bar?.update(step)
            case .transport(let progress):
                let error = progress.statusText
                bar?.update(progress.isFinal ? configuration.solver.maxIterations : progress.record.step, status: error)
            }
        }
        let t = result.transportReport
        print(String(format: "autoencoder: test loss %.2f; transport: %@ after %d steps (%.1f s), rms relative cell error %.3f",
                     result.autoencoderReport.finalTestLoss ?? .nan, t.hasConverged ? "converged" : "stopped (\(t.stopReason))",
                     t.iterations, t.solveSeconds, t.rmsRelativeError))
        print("model written to \(store.location)")
        if !noEvaluate {
            let model = try GenerativeModel(store: store)
            let summary = try EvaluationJob(seed: seedOption.seed, classifierStores: EvaluatorStores.all()).run(model: model, train: train, test: test, store: store, log: log)
            print(summary.markdownTable)
        }
    }
}

/// `latentot sample`: images from a trained model.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample", abstract: "Generate images from a trained model (the OT map, or a baseline).")

    @Option(help: "Model folder written by `latentot train`.")
    var model: String

    @Option(help: "Number of images.")
    var count: Int = 64

    @Option(help: "Generator: ot (the method), gaussian (baseline on the same codes), neural-potential (baseline on the same codes) or vae (baseline).")
    var generator: GeneratorChoice = .ot

    @OptionGroup var samplerOptions: SamplerOptions
    @OptionGroup var seedOption: SeedOption

    @Option(help: "Output: .png (grid), .idx / .idx3-ubyte (uint8 n×h×w, 0 = background), .npy (float32 n×c×h×w).")
    var out: String

    func validate() throws {
        guard count >= 1 && count <= 10_000_000 else { throw ValidationError("--count must be in 1...10000000, got \(count)") }
        try ImageOutput.validate(out)
        if generator != .ot && samplerOptions.isExtended { throw ValidationError("--sampler applies to --generator ot only") }
    }

    func run() throws {
        let loaded = try GenerativeModel(store: FolderStore(model, create: false))
        // The images are held as float32 and encoded once more for the output: about 8 bytes per
        // scalar, checked before any work (1,500,000 images ran 84 s and then aborted).
        let needed = UInt64(count) * UInt64(loaded.imageShape.reduce(1, *) + loaded.autoencoder.latentDimension) * 8
        let available = MemoryBudget.availableBytes()
        guard needed <= available else {
            throw LatentOTError.invalidValue(field: "--count \(count)",
                                             expected: "at most \(UInt64(count) * available / max(needed, 1)) images in the memory available (\(MemoryBudget.describe(available)))",
                                             found: "about \(MemoryBudget.describe(needed)) needed; sample in parts with different --seed values")
        }
        let (images, codes) = try loaded.images(count: count, generator: generator, sampler: samplerOptions.choice, seed: seedOption.seed)
        try ImageOutput.write(images, to: out)
        let acceptance = codes.map { String(format: " (acceptance %.2f)", $0.acceptanceRate) } ?? ""
        print("wrote \(images.shape[0]) images of shape \(loaded.imageShape) to \(out)\(acceptance)")
    }
}

extension GeneratorChoice: ExpressibleByArgument {}
