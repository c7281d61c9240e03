import Testing
import Foundation
import TensorModule
import NeuralNet

/// Opt-in training benchmark on Fashion-MNIST (not part of the normal test run):
///   gzip -dc /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz > /tmp/fmnist/train-images-idx3-ubyte
///   (same for t10k-images-idx3-ubyte), then
///   LATENTOT_BENCHMARK=conv LATENTOT_EPOCHS=15 swift test -c release --skip-build --filter FashionMNISTBenchmark
/// Optional: LATENTOT_LIMIT (training images), LATENTOT_FOLDER (default /tmp/fmnist), LATENTOT_COSINE=1.
@Suite struct FashionMNISTBenchmark {
    static let environment = ProcessInfo.processInfo.environment

    func images(_ path: String, limit: Int?) throws -> Tensor {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func word(_ i: Int) -> Int { Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]) }
        #expect(word(0) == 0x803)
        let n = min(word(4), limit ?? Int.max), h = word(8), w = word(12)
        return Tensor(shape: [n, 1, h, w], scalars: bytes[16..<(16 + n * h * w)].map { Float($0) / 255 })
    }

    @Test(.enabled(if: environment["LATENTOT_BENCHMARK"] != nil))
    func trainOnFashionMNIST() throws {
        let env = FashionMNISTBenchmark.environment
        let folder = env["LATENTOT_FOLDER"] ?? "/tmp/fmnist"
        let architecture = Architecture(rawValue: env["LATENTOT_BENCHMARK"]!) ?? .conv
        let epochs = Int(env["LATENTOT_EPOCHS"] ?? "1") ?? 1
        let train = try images(folder + "/train-images-idx3-ubyte", limit: env["LATENTOT_LIMIT"].flatMap { Int($0) })
        let test = try images(folder + "/t10k-images-idx3-ubyte", limit: nil)
        let model = try Autoencoder(architecture: architecture, imageShape: [1, 28, 28], latentDimension: 32, seed: UInt64(env["LATENTOT_SEED"] ?? "0") ?? 0)
        let trainer = AutoencoderTrainer(model: model, configuration: .init(epochs: epochs, batchSize: 128, learningRate: 1e-3,
                                                                            cosineSchedule: env["LATENTOT_COSINE"] == "1"))
        print("BENCH \(architecture) parameters \(model.parameterCount) train \(train.shape) cores \(Parallel.coreCount)")
        trainer.fit(train: train, test: test) { record, _ in
            print(String(format: "BENCH epoch %d train %.2f test BCE %.2f  %.1f s  %.0f images/s lr %.2e", record.epoch, record.trainLoss,
                         record.testReconstructionLoss ?? .nan, record.seconds, record.imagesPerSecond, record.learningRate))
        }
    }
}
