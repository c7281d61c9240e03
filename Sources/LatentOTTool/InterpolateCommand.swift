import ArgumentParser
import Foundation
import ImageFormats
import TensorModule
import LatentOT

/// `latentot interpolate`: walks through the map between source points and decodes the path.
struct InterpolateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interpolate",
        abstract: "Walk between source points through the OT map and decode the path (a PNG strip).",
        discussion: "Each pair gives two rows: T(x(t)) along the straight source path (it jumps where the map is discontinuous, between clusters), and the naive straight line between the two end codes for contrast.")

    @Option(help: "Model folder written by `latentot train`.")
    var model: String

    @Option(help: "Number of source-point pairs (rows of paths).")
    var pairs: Int = 4

    @Option(help: "Steps along each path.")
    var steps: Int = 16

    @OptionGroup var seedOption: SeedOption

    @Option(help: "Output PNG.")
    var out: String

    func validate() throws {
        guard (1...64).contains(pairs) else { throw ValidationError("--pairs must be in 1...64, got \(pairs)") }
        guard (2...256).contains(steps) else { throw ValidationError("--steps must be in 2...256, got \(steps)") }
        guard out.lowercased().hasSuffix(".png") else { throw ValidationError("--out must end in .png, got '\(out)'") }
    }

    func run() throws {
        let loaded = try GenerativeModel(store: FolderStore(model, create: false))
        let (image, paths) = Interpolation(model: loaded).strip(pairs: pairs, steps: steps, seed: seedOption.seed)
        try AtomicFile.write(PNG.encode(image), to: URL(fileURLWithPath: out))
        for (p, path) in paths.enumerated() {
            print("path \(p + 1): \(Set(path.cells).count) distinct codes, jumps at steps \(path.jumps)")
        }
        print("wrote \(out)")
    }
}
