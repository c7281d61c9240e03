import TensorModule
import Datasets

/// Random 28×28 "images" of diamond-shaped blobs: enough structure for a couple of quick epochs of
/// an autoencoder, shared by the tests of the training jobs and the pipeline.
enum BlobImages {
    static func dataset(_ count: Int, seed: UInt64) -> ImageDataset {
        var rng = SeededGenerator(seed: seed)
        var scalars = [Float](repeating: 0, count: count * 784)
        for i in 0..<count {
            let cx = 6 + Int(rng.nextUnitDouble() * 16), cy = 6 + Int(rng.nextUnitDouble() * 16)
            for y in 0..<28 { for x in 0..<28 where abs(x - cx) + abs(y - cy) < 5 { scalars[i * 784 + y * 28 + x] = 1 } }
        }
        return ImageDataset(name: "blobs", images: Tensor(shape: [count, 1, 28, 28], scalars: scalars))
    }
}
