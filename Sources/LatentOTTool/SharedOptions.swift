import ArgumentParser
import NeuralNet

/// `--seed`: every random choice of a command flows from it; the same seed gives the same bytes.
struct SeedOption: ParsableArguments {
    @Option(help: "Seed of every random choice (same seed, same output bytes).")
    var seed: UInt64 = 0
}

/// How a dataset is read: a name (`fashion-mnist`, `mnist`) or a path.
struct DataOptions: ParsableArguments {
    @Option(help: "Dataset: fashion-mnist, mnist, or a path (IDX folder, .npy/.npz, folder of PNG/JPEG images).")
    var data: String

    @Option(help: "Side of the square images for image folders (e.g. 64 for the CelebA setting); IDX data keep their size.")
    var imageSize: Int = 64

    @Option(help: "Channels for image folders: 1 (grey) or 3 (RGB).")
    var channels: Int = 3

    @Option(help: ArgumentHelp("Use only the first N training images (quick runs) and at most max(N, 10000) held-out test images.",
                               discussion: "Sources without a test split (image folders, .npy) hold out a seeded 10 % as the test set; with --limit only its first max(N, 10000) images are kept. Image folders are split on the sorted file list and only the kept files are decoded, so memory follows N, not the folder's size."))
    var limit: Int?

    func validate() throws {
        guard imageSize >= 8 && imageSize <= 1024 else { throw ValidationError("--image-size must be in 8...1024, got \(imageSize)") }
        guard channels == 1 || channels == 3 else { throw ValidationError("--channels must be 1 or 3, got \(channels)") }
        if let limit, limit < 2 { throw ValidationError("--limit must be at least 2, got \(limit)") }
    }
}

extension Architecture: ExpressibleByArgument {}
extension ModelKind: ExpressibleByArgument {}
extension ReconstructionLoss: ExpressibleByArgument {}
