import Foundation
import TensorModule
import NeuralNet
import Datasets

/// Case 4: seconds per training epoch of the Fashion-MNIST autoencoders (METHOD.md §5 `mlp` and
/// `conv`, d = 32, batch 128, Adam 1e-3, BCE), against the same architecture in PyTorch on the same
/// cores in the same run (`bench/ae_epoch.py`, the faster of 1 thread and all cores), where `python3 -c "import torch"` works; otherwise
/// the PyTorch side is skipped with a message (torch is never installed by the bench).
///
/// Each side trains 3 batches untimed (warm-up), then `batches` batches (all 469 by default) on
/// the first images of a fixed shuffle; seconds per epoch = seconds × 469 / batches.
struct AutoencoderCase {
    var batches: Int?
    var architectures: [Architecture] = [.mlp, .conv]
    var torchScript: URL
    var latentDimension = 32
    var batchSize = 128

    func run(_ reporter: Reporter) throws {
        let source = try NamedDataset.fashionMNIST.locate()
        let splits = try source.load()
        let train = splits.train.images
        let imageCount = train.shape[0]
        let epochBatches = imageCount / batchSize + (imageCount % batchSize >= 2 ? 1 : 0)
        let timedBatches = min(batches ?? epochBatches, epochBatches)
        let torch = AutoencoderCase.torchAvailable()
        if !torch.available { log("case 4: PyTorch skipped: \(torch.message)") }
        var results: [[String: Any]] = []
        for architecture in architectures {
            log("case 4: \(architecture.rawValue), \(timedBatches) of \(epochBatches) batches")
            let swift = try swiftEpoch(architecture, train: train, timedBatches: timedBatches, epochBatches: epochBatches)
            var entry: [String: Any] = ["architecture": architecture.rawValue, "parameters": swift.parameters,
                                        "latentOTSecondsPerEpoch": swift.secondsPerEpoch, "timedBatches": timedBatches,
                                        "epochBatches": epochBatches, "latentOTImagesPerSecond": swift.imagesPerSecond,
                                        "latentOTMeanLoss": swift.loss]
            var pytorch: Double? = nil
            if torch.available {
                do {
                    // PyTorch's best of one thread and all cores: on a loaded machine its OpenMP
                    // threads wait on each other (10-30× slower with 2 threads at load 4-7 here),
                    // so all cores alone would flatter LatentOT.
                    var runs: [[String: Any]] = []
                    for threads in Set([1, Parallel.coreCount]).sorted() {
                        runs.append(try pytorchEpoch(architecture, folder: source.url, timedBatches: timedBatches, threads: threads))
                    }
                    let best = runs.min { ($0["seconds_per_epoch"] as? Double ?? .infinity) < ($1["seconds_per_epoch"] as? Double ?? .infinity) }!
                    pytorch = best["seconds_per_epoch"] as? Double
                    entry["pytorch"] = best
                    entry["pytorchRuns"] = runs
                } catch {
                    entry["pytorch"] = "failed: \(error)"
                    log("case 4: PyTorch \(architecture.rawValue) failed: \(error)")
                }
            } else {
                entry["pytorch"] = "skipped: \(torch.message)"
            }
            entry["ratioLatentOTOverPyTorch"] = pytorch.map { swift.secondsPerEpoch / $0 } as Any
            results.append(entry)
            reporter.row(4, "\(architecture.rawValue) AE epoch, Fashion-MNIST, batch \(batchSize), d=\(latentDimension)\(timedBatches < epochBatches ? " (\(timedBatches) batches extrapolated)" : "")",
                         latentOT: format(swift.secondsPerEpoch) + " s/epoch",
                         baseline: pytorch.map { "PyTorch " + format($0) + " s/epoch (best of 1 and \(Parallel.coreCount) threads)" } ?? "PyTorch skipped (\(torch.message))",
                         ratio: pytorch.map { "time " + times(swift.secondsPerEpoch / $0) } ?? "—")
        }
        reporter.emit(case: 4, name: "autoencoder-epoch", ["architectures": results, "cores": Parallel.coreCount,
                                                           "torch": torch.available ? "available" : torch.message])
    }

    struct SwiftEpoch {
        var secondsPerEpoch: Double
        var imagesPerSecond: Double
        var parameters: Int
        var loss: Double
    }

    func swiftEpoch(_ architecture: Architecture, train: Tensor, timedBatches: Int, epochBatches: Int) throws -> SwiftEpoch {
        let model = try Autoencoder(architecture: architecture, imageShape: [1, 28, 28], latentDimension: latentDimension, seed: 0)
        let trainer = AutoencoderTrainer(model: model, configuration: .init(epochs: 2, batchSize: batchSize, learningRate: 1e-3))
        let imageCount = train.shape[0]
        trainer.trainEpoch(train.rows(0..<min(imageCount, 3 * batchSize))) // warm-up
        let timedImages = min(imageCount, timedBatches * batchSize)
        let subset = timedImages == imageCount ? train : train.rows(0..<timedImages)
        let (seconds, loss) = Stopwatch.time { trainer.trainEpoch(subset) }
        let perEpoch = seconds * Double(epochBatches) / Double(timedBatches)
        log(String(format: "case 4: LatentOT %@: %.2f s for %d batches → %.1f s/epoch, loss %.1f", architecture.rawValue,
                   seconds, timedBatches, perEpoch, loss.total))
        return SwiftEpoch(secondsPerEpoch: perEpoch, imagesPerSecond: Double(timedImages) / seconds,
                          parameters: model.parameterCount, loss: loss.total)
    }

    static func torchAvailable() -> (available: Bool, message: String) {
        guard let result = BenchEnvironment.run("python3", ["-c", "import torch"]) else {
            return (false, "python3 not found")
        }
        return result.status == 0 ? (true, "available") : (false, "python3 -c \"import torch\" failed (torch not installed)")
    }

    func pytorchEpoch(_ architecture: Architecture, folder: URL, timedBatches: Int, threads: Int) throws -> [String: Any] {
        guard FileManager.default.fileExists(atPath: torchScript.path) else {
            throw BenchError.failed("\(torchScript.path) not found")
        }
        guard let result = BenchEnvironment.run("python3", [torchScript.path, "--architecture", architecture.rawValue,
                                                            "--batches", "\(timedBatches)", "--threads", "\(threads)",
                                                            "--data", folder.path, "--latent-dimension", "\(latentDimension)",
                                                            "--batch-size", "\(batchSize)"]),
              result.status == 0,
              let line = result.output.split(separator: "\n").last,
              let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw BenchError.failed("\(torchScript.lastPathComponent) did not print a JSON line")
        }
        log("case 4: PyTorch \(architecture.rawValue): \(line)")
        return object
    }
}
