import ArgumentParser
import Foundation
import TensorModule
import NeuralNet
import Datasets
import LatentOT

/// `latentot autoencoder train|encode|decode`.
struct AutoencoderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autoencoder",
        abstract: "Train an autoencoder, encode images to codes, decode codes to images.",
        subcommands: [AutoencoderTrainCommand.self, AutoencoderEncodeCommand.self, AutoencoderDecodeCommand.self]
    )
}

/// Options of an autoencoder's architecture and training, shared by `autoencoder train` and `train`.
struct AutoencoderOptions: ParsableArguments {
    @Option(help: "Architecture: mlp (784-512-256-d) or conv (DCGAN-like, 28×28 or 64×64).")
    var architecture: Architecture = .conv

    @Option(help: "Code dimension d.")
    var latentDimension: Int = 32

    @Option(help: "Base width of the conv architecture (widths double per block).")
    var baseWidth: Int?

    @Option(help: "Model kind: autoencoder, or vae (the baseline).")
    var kind: ModelKind = .autoencoder

    @Option(help: "Training epochs.")
    var epochs: Int = 15

    @Option(help: "Mini-batch size.")
    var batchSize: Int = 128

    @Option(help: "Adam learning rate.")
    var learningRate: Double = 1e-3

    @Flag(help: "Cosine learning-rate decay to 0 over the run.")
    var cosineSchedule = false

    @Option(help: "Reconstruction loss: bce (summed over pixels) or mse.")
    var loss: ReconstructionLoss = .bce

    @Option(help: "Weight of the L1 penalty on codes.")
    var codeL1: Double = 0

    @Option(help: "Weight of the perceptual term: squared distance between the features of image and reconstruction in a small classifier trained first on the labelled images (not the evaluation's network); 0: pixels only. Needs labels.")
    var perceptualWeight: Double = 0

    @Option(help: "Images of each batch in the perceptual term (default: all); fewer cost less.")
    var perceptualImages: Int?

    func validate() throws {
        guard (1...4096).contains(latentDimension) else { throw ValidationError("--latent-dimension must be in 1...4096, got \(latentDimension)") }
        guard epochs >= 0 else { throw ValidationError("--epochs must be ≥ 0, got \(epochs)") }
        guard batchSize >= 2 else { throw ValidationError("--batch-size must be ≥ 2 (BatchNorm), got \(batchSize)") }
        guard learningRate > 0 && learningRate.isFinite else { throw ValidationError("--learning-rate must be > 0, got \(learningRate)") }
        guard codeL1 >= 0 && codeL1.isFinite else { throw ValidationError("--code-l1 must be ≥ 0, got \(codeL1)") }
        if let perceptualImages, perceptualImages < 1 { throw ValidationError("--perceptual-images must be ≥ 1, got \(perceptualImages)") }
        guard perceptualWeight >= 0 && perceptualWeight.isFinite else { throw ValidationError("--perceptual-weight must be ≥ 0, got \(perceptualWeight)") }
        if let baseWidth, !(1...1024).contains(baseWidth) { throw ValidationError("--base-width must be in 1...1024, got \(baseWidth)") }
    }

    func modelConfiguration(imageShape: [Int]) -> AutoencoderConfiguration {
        let width = baseWidth ?? (imageShape[1] >= 64 ? 64 : 32)
        return AutoencoderConfiguration(architecture: architecture, imageShape: imageShape, latentDimension: latentDimension,
                                        baseWidth: width, kind: kind)
    }

    func trainerConfiguration(seed: UInt64) -> AutoencoderTrainer.Configuration {
        AutoencoderTrainer.Configuration(epochs: epochs, batchSize: batchSize, learningRate: learningRate,
                                         cosineSchedule: cosineSchedule, loss: loss, codeL1Weight: codeL1, seed: seed,
                                         perceptualWeight: perceptualWeight, perceptualImages: perceptualImages)
    }
}

/// The autoencoder of a folder written by `latentot autoencoder train`, or of a `latentot train`
/// model folder (recognised by its `model.json`; the autoencoder lives in `autoencoder/`).
func loadAutoencoder(folder: String) throws -> AutoencoderModel {
    let store = try FolderStore(folder, create: false)
    let isPipelineModel = try store.read(ModelFiles.configuration) != nil
    return try AutoencoderFiles.load(from: store, prefix: isPipelineModel ? ModelFiles.autoencoder : "")
}

/// Loads `--data` with the options' image size and channels, honouring `--limit`.
func loadDataset(_ options: DataOptions, seed: UInt64) throws -> (train: ImageDataset, test: ImageDataset) {
    try DataLoading.load(options.data, imageSize: options.imageSize, channels: options.channels, seed: seed,
                         trainLimit: options.limit)
}

/// Runs a training job with a progress display.
func runTraining(_ job: AutoencoderTrainingJob, train: ImageDataset, test: ImageDataset, store: ArtifactStore,
                 resume: Bool, label: String) throws -> (model: AutoencoderModel, report: AutoencoderTrainingReport) {
    var bar: ProgressReporter? = nil
    return try job.run(train: train, test: test, store: store, resume: resume) { event in
        switch event {
        case .resumed(let epoch):
            log("\(label): resuming after epoch \(epoch) from \(store.describe(job.prefix + AutoencoderFiles.checkpoint))")
        case .batch(let epoch, let batch, let batches, let loss, _):
            if batch == 1 { bar = ProgressReporter("\(label) epoch \(epoch + 1)/\(job.trainerConfiguration.epochs)", total: batches, unit: "batch") }
            bar?.update(batch, status: String(format: "loss %.2f", loss))
        case .epochFinished(let record):
            let test = record.testLoss.map { String(format: " test %.2f", $0) } ?? ""
            log(String(format: "%@: epoch %d train %.2f%@ (%.1f s, %.0f images/s)", label, record.epoch, record.trainLoss, test,
                       record.seconds, record.imagesPerSecond))
        }
    }
}

struct AutoencoderTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train an autoencoder (checkpoint each epoch; --resume continues).")

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var options: AutoencoderOptions
    @OptionGroup var seedOption: SeedOption

    @Option(help: "Output folder: model files, checkpoint, report.json, loss.png, reconstructions.png.")
    var out: String

    @Flag(help: "Continue from the checkpoint in --out.")
    var resume = false

    func run() throws {
        let (train, test) = try loadDataset(dataOptions, seed: seedOption.seed)
        let store = try FolderStore(out, create: true)
        let job = AutoencoderTrainingJob(modelConfiguration: options.modelConfiguration(imageShape: train.imageShape),
                                         trainerConfiguration: options.trainerConfiguration(seed: seedOption.seed))
        log("\(train.name): \(train.count) training and \(test.count) test images of shape \(train.imageShape)")
        let (_, report) = try runTraining(job, train: train, test: test, store: store, resume: resume, label: options.kind.rawValue)
        if let loss = report.finalTestLoss { print(String(format: "final test loss %.3f (%@)", loss, report.lossDefinition)) }
        print("wrote \(store.describe(AutoencoderFiles.report)), \(AutoencoderFiles.lossPlot), \(AutoencoderFiles.reconstructions) and the model")
    }
}

struct AutoencoderEncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "encode", abstract: "Encode images to codes (.npy, float32 n×d).")

    @Option(help: "Folder of a trained autoencoder (or a `latentot train` model).")
    var model: String

    @OptionGroup var dataOptions: DataOptions

    @Option(help: "Which images: train, test or all (train then test).")
    var split: String = "train"

    @Option(help: "Output .npy file.")
    var out: String

    func validate() throws {
        guard ["train", "test", "all"].contains(split) else { throw ValidationError("--split must be train, test or all, got '\(split)'") }
        guard out.lowercased().hasSuffix(".npy") else { throw ValidationError("--out must end in .npy, got '\(out)'") }
    }

    func run() throws {
        let autoencoder = try loadAutoencoder(folder: model)
        let (train, test) = try loadDataset(dataOptions, seed: 0)
        guard train.imageShape == autoencoder.imageShape else {
            throw LatentOTError.incompatible(dataOptions.data, reason: "images are \(train.imageShape), the model expects \(autoencoder.imageShape)")
        }
        let images: Tensor
        switch split {
        case "train": images = train.images
        case "test": images = test.images
        default: images = Tensor(shape: [train.count + test.count] + train.imageShape, scalars: train.images.scalars + test.images.scalars)
        }
        let codes = autoencoder.codes(images)
        try AtomicFile.write(NumpyArray(shape: codes.shape, floats: codes.scalars).encode(), to: URL(fileURLWithPath: out))
        print("wrote \(codes.shape[0]) codes of dimension \(codes.shape[1]) to \(out)")
    }
}

struct AutoencoderDecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "decode", abstract: "Decode codes (.npy n×d) to images (.png grid, .idx, .npy).")

    @Option(help: "Folder of a trained autoencoder (or a `latentot train` model).")
    var model: String

    @Option(help: "Codes: .npy, float32 or float64, n×d.")
    var codes: String

    @Option(help: "Output: images.png (grid), images.idx / .idx3-ubyte (uint8), images.npy (float32 n×c×h×w).")
    var out: String

    func validate() throws { try ImageOutput.validate(out) }

    func run() throws {
        let autoencoder = try loadAutoencoder(folder: model)
        let (values, rows) = try CodesFile.read(codes, dimension: autoencoder.latentDimension)
        let images = autoencoder.decode(Tensor(shape: [rows, autoencoder.latentDimension], scalars: values))
        try ImageOutput.write(images, to: out)
        print("wrote \(rows) images of shape \(autoencoder.imageShape) to \(out)")
    }
}
