import Testing
import Foundation

/// The same seed gives the same bytes whatever the number of worker threads (`LATENTOT_THREADS`):
/// the conv autoencoder's block-split products, the fixed-set solver's block sums, the encoder's and
/// sampler's parallel loops. Run on 1, 2 and 5 workers (more than this machine's cores is allowed).
@Suite(.serialized) struct ThreadCountTests {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist")))
    func sameBytesOnOneTwoAndFiveThreads() throws {
        let folder = try ToolRunner.temporaryFolder()
        var outputs: [[Data]] = []
        for threads in ["1", "2", "5"] {
            let out = folder.appendingPathComponent("model-\(threads)")
            let train = try ToolRunner.run(
                ["train", "--data", "fashion-mnist", "--limit", "1500", "--architecture", "conv", "--base-width", "8",
                 "--latent-dimension", "8", "--epochs", "1", "--batch-size", "64", "--max-iterations", "25",
                 "--tolerance", "0.0001", "--baselines", "none", "--seed", "2", "--no-evaluate", "--out", out.path],
                environment: ["LATENTOT_THREADS": threads])
            #expect(train.status == 0, "\(train.error)")
            let samples = folder.appendingPathComponent("samples-\(threads).npy")
            let sample = try ToolRunner.run(["sample", "--model", out.path, "--count", "300", "--sampler", "extended",
                                             "--seed", "3", "--out", samples.path], environment: ["LATENTOT_THREADS": threads])
            #expect(sample.status == 0, "\(sample.error)")
            outputs.append(try ["autoencoder/autoencoder.safetensors", "transport/codes.npy", "transport/heights.npy"].map {
                try Data(contentsOf: out.appendingPathComponent($0))
            } + [Data(contentsOf: samples)])
        }
        #expect(outputs[0] == outputs[1], "1 vs 2 threads")
        #expect(outputs[0] == outputs[2], "1 vs 5 threads")
    }
}
