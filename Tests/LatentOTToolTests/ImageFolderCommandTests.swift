import Testing
import Foundation
import TensorModule
import ImageFormats

/// The CelebA setting on a folder the test writes: 64×64 RGB PNG files in, `train --image-size 64
/// --architecture conv` end to end (autoencoder, codes, OT, the neural-potential baseline), then
/// `sample` writes an RGB grid of the expected size. Tiny settings keep it to a few seconds.
@Suite(.serialized) struct ImageFolderCommandTests {
    /// 40 images: a disc of a random colour, centre and radius on a dark background.
    func writeImages(to folder: URL) throws {
        var rng = SeededGenerator(seed: 11)
        for index in 0..<40 {
            let cx = 16 + Int(rng.nextUnitDouble() * 32), cy = 16 + Int(rng.nextUnitDouble() * 32)
            let radius = 6 + Int(rng.nextUnitDouble() * 8)
            let colour = (0..<3).map { _ in UInt8(rng.nextUnitDouble() * 255) }
            var pixels = [UInt8](repeating: 0, count: 64 * 64 * 3)
            for y in 0..<64 {
                for x in 0..<64 {
                    let inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) < radius * radius
                    for c in 0..<3 { pixels[(y * 64 + x) * 3 + c] = inside ? colour[c] : [20, 20, 60][c] }
                }
            }
            let data = try PNG.encode(RasterImage(width: 64, height: 64, channels: 3, pixels: pixels))
            try data.write(to: folder.appendingPathComponent(String(format: "%03d.png", index)))
        }
    }

    @Test func trainsOnAFolderOf64PixelRGBImagesAndSamplesAnRGBGrid() throws {
        let folder = try ToolRunner.temporaryFolder()
        let images = folder.appendingPathComponent("faces"), model = folder.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        try writeImages(to: images)
        let train = try ToolRunner.run([
            "train", "--data", images.path, "--image-size", "64", "--architecture", "conv", "--base-width", "8",
            "--latent-dimension", "8", "--epochs", "1", "--batch-size", "16", "--time-budget", "5",
            "--baselines", "neural-potential", "--neural-potential-steps", "50", "--seed", "1", "--no-evaluate", "--out", model.path])
        #expect(train.status == 0, "\(train.error)")
        #expect(train.error.contains("36 training and 4 test images of shape [3, 64, 64]"), "\(train.error)")
        let configuration = try JSONSerialization.jsonObject(with: Data(contentsOf: model.appendingPathComponent("model.json"))) as! [String: Any]
        let autoencoder = try #require(configuration["autoencoder"] as? [String: Any])
        #expect(autoencoder["imageShape"] as? [Int] == [3, 64, 64] && autoencoder["architecture"] as? String == "conv")

        for generator in ["ot", "neural-potential"] {
            var grids: [Data] = []
            for run in 0..<2 {
                let out = folder.appendingPathComponent("\(generator)-\(run).png")
                let sample = try ToolRunner.run(["sample", "--model", model.path, "--generator", generator, "--count", "10", "--seed", "3",
                                                 "--out", out.path])
                #expect(sample.status == 0, "\(sample.error)")
                grids.append(try Data(contentsOf: out))
            }
            #expect(grids[0] == grids[1], "\(generator): same seed, same bytes")
            // 10 images in ⌈√10⌉ = 4 columns and 3 rows of 64 + 2 pixels, plus the 2-pixel edge.
            let grid = try PNG.decode(grids[0])
            #expect(grid.channels == 3 && grid.width == 4 * 66 + 2 && grid.height == 3 * 66 + 2,
                    "\(generator): \(grid.width)×\(grid.height)×\(grid.channels)")
        }

        // `autoencoder decode --model` takes a `train` model folder, as its help says (it failed with
        // "autoencoder.json: missing").
        let codes = folder.appendingPathComponent("codes.npy"), decoded = folder.appendingPathComponent("decoded.npy")
        let encode = try ToolRunner.run(["autoencoder", "encode", "--model", model.path, "--data", images.path, "--image-size", "64",
                                         "--out", codes.path])
        #expect(encode.status == 0, "\(encode.error)")
        let decode = try ToolRunner.run(["autoencoder", "decode", "--model", model.path, "--codes", codes.path, "--out", decoded.path])
        #expect(decode.status == 0, "\(decode.error)")
        #expect(decode.output.contains("wrote 36 images of shape [3, 64, 64]"), "\(decode.output)")

        // A model folder that does not exist is named as such (it was called "incomplete").
        let absent = try ToolRunner.run(["sample", "--model", folder.appendingPathComponent("absent").path, "--count", "3",
                                         "--out", folder.appendingPathComponent("y.png").path])
        #expect(absent.status != 0 && absent.error.contains("nothing at that path") && !absent.error.contains("incomplete"), "\(absent.error)")

        // A count beyond the memory available is refused before any work (10^7 images of 64×64×3
        // would need about 1 TB; 1,500,000 Fashion-MNIST images ran 84 s and then aborted).
        let tooMany = try ToolRunner.run(["sample", "--model", model.path, "--count", "10000000", "--out", folder.appendingPathComponent("x.npy").path])
        #expect(tooMany.status != 0 && tooMany.error.contains("memory available") && tooMany.error.contains("sample in parts"), "\(tooMany.error)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("x.npy").path))

        // Scoring a file of too few images is refused before anything is written (it scored Fréchet
        // 0.00 and memorisation -nan with exit 0, overwriting the report).
        let few = folder.appendingPathComponent("few.npy")
        let sample = try ToolRunner.run(["sample", "--model", model.path, "--count", "1", "--seed", "3", "--out", few.path])
        #expect(sample.status == 0, "\(sample.error)")
        let evaluate = try ToolRunner.run(["evaluate", "--model", model.path, "--samples", few.path])
        #expect(evaluate.status != 0 && evaluate.error.contains("at least 10 images"), "\(evaluate.error)")
        #expect(!FileManager.default.fileExists(atPath: model.appendingPathComponent("evaluation/report.json").path))
        // NaN pixels are refused with the file and the position named (by the .npy reader).
        var pixels = [Float](repeating: 0.5, count: 12 * 3 * 64 * 64)
        pixels[100] = .nan
        let nan = folder.appendingPathComponent("nan.npy")
        try ToolRunner.writeNumpy(nan, descr: "<f4", shape: [12, 3, 64, 64], payload: ToolRunner.float32Payload(pixels))
        let refused = try ToolRunner.run(["evaluate", "--model", model.path, "--samples", nan.path])
        #expect(refused.status != 0 && refused.error.contains("nan.npy") && refused.error.contains("finite values") && refused.error.contains("index 100"), "\(refused.error)")
    }
}
