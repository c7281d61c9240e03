import ArgumentParser
import Foundation
import TensorModule
import Datasets
import LatentOT

/// `latentot evaluate`: the metrics of a model's generators (or of a file of samples).
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score generated images: Fréchet distance, precision/recall, classes covered, memorisation.",
        discussion: "Without --samples, scores LatentOT (extended, AE-OT uniform blend, pure), the autoencoder's reconstructions (the floor of every sampler) and the baselines; real and blurred test images give the scale. Each row: up to --sample-count images against 10,000 real training images in the features of the dataset's evaluation CNN (trained once per dataset, cached in ~/.cache/latentot/evaluators or $LATENTOT_CACHE; shipped for Fashion-MNIST and mnist-5k). Writes DIR/evaluation/report.json and table.md.")

    @Option(help: "Model folder written by `latentot train`.")
    var model: String

    @Option(help: "Images to score instead of the model's generators: .idx / .idx3-ubyte (uint8) or .npy (float32 n×c×h×w or uint8).")
    var samples: String?

    @Option(help: "Generated images scored per generator (the field's 10,000 by default).")
    var sampleCount: Int = 10_000

    @Option(help: "Also write the Markdown table to this file.")
    var summary: String?

    @OptionGroup var seedOption: SeedOption

    func validate() throws {
        guard sampleCount >= 10 else { throw ValidationError("--sample-count must be ≥ 10, got \(sampleCount)") }
    }

    func run() throws {
        let store = try FolderStore(model, create: false)
        let loaded = try GenerativeModel(store: store)
        let (train, test) = try loaded.configuration.loadDataset()
        let images = try samples.map { try ImageInput.read($0, shape: loaded.imageShape) }
        var settings = ImageEvaluation.Settings()
        if let images, let path = samples {
            // Precision and recall need k + 1 images for a k-th neighbour; the Fréchet distance a
            // covariance (more images than one); fewer would score nonsense and overwrite the report.
            let minimum = max(settings.neighbourCount + 1, 10)
            guard images.shape[0] >= minimum else {
                throw LatentOTError.invalidValue(field: "\(path): images", expected: "at least \(minimum) images to score",
                                                 found: "\(images.shape[0])")
            }
        }
        settings.sampleCount = sampleCount
        settings.seed = seedOption.seed
        let result = try EvaluationJob(settings: settings, seed: seedOption.seed, classifierStores: EvaluatorStores.all())
            .run(model: loaded, train: train, test: test, store: store, samples: images, log: log)
        print(result.markdownTable)
        if let summary {
            try AtomicFile.write(Data(result.markdownTable.utf8), to: URL(fileURLWithPath: summary))
        }
        print("wrote \(store.describe(ModelFiles.evaluation + "report.json"))")
    }
}

/// Reads images to score: IDX uint8 (n×h×w or n×h×w×c) or `.npy` (n×c×h×w float in [0,1], or uint8).
enum ImageInput {
    static func read(_ path: String, shape: [Int]) throws -> Tensor {
        let url = URL(fileURLWithPath: path)
        let (c, h, w) = (shape[0], shape[1], shape[2])
        if path.lowercased().hasSuffix(".npy") {
            let array = try NumpyArray.read(url)
            guard array.shape.count == 4, Array(array.shape.dropFirst()) == shape else {
                throw LatentOTError.invalidValue(field: "\(path): shape", expected: "[n, \(c), \(h), \(w)]", found: "\(array.shape)")
            }
            if case .uint8(let bytes) = array.storage { return Tensor(shape: array.shape, scalars: bytes.map { Float($0) / 255 }) }
            let values = try array.floatValues()
            if let bad = values.firstIndex(where: { $0 < 0 || $0 > 1 }) {
                throw LatentOTError.invalidValue(field: "\(path): value \(bad)", expected: "pixels in [0, 1]", found: "\(values[bad])")
            }
            return Tensor(shape: array.shape, scalars: values)
        }
        let array = try IDXArray.read(url)
        let expected = c == 1 ? [h, w] : [h, w, c]
        guard array.dimensions.count == expected.count + 1, Array(array.dimensions.dropFirst()) == expected,
              case .uint8(let bytes) = array.storage else {
            throw LatentOTError.invalidValue(field: "\(path): dimensions", expected: "uint8 [n, \(expected.map(String.init).joined(separator: ", "))]",
                                             found: "\(array.dataType) \(array.dimensions)")
        }
        let n = array.dimensions[0]
        var scalars = [Float](repeating: 0, count: n * c * h * w)
        for i in 0..<n { for y in 0..<h { for x in 0..<w { for k in 0..<c {
            scalars[((i * c + k) * h + y) * w + x] = Float(bytes[((i * h + y) * w + x) * c + k]) / 255
        } } } }
        return Tensor(shape: [n, c, h, w], scalars: scalars)
    }
}
