import Foundation
import Datasets
import ImageFormats
import NeuralNet
import LatentOT

/// The file readers `make fuzz` searches: each takes arbitrary bytes and must either return a value
/// or throw a typed error; a trap, a crash, a hang or an allocation beyond what the bytes can hold
/// (ASan's limit) is a finding.
enum FuzzReader: String, CaseIterable {
    case npy, npz, idx, gzip, png, jpeg, safetensors, json

    /// Reads `data` as this kind of file, discarding the result and any thrown error.
    func read(_ data: Data) {
        let source = "fuzz-input"
        switch self {
        case .npy: _ = try? NumpyArray.decode(data, source: source, sizeLimit: 1 << 26)
        case .npz: _ = try? NumpyArchive.decode(data, source: source, sizeLimit: 1 << 26)
        case .idx: _ = try? IDXArray.decode(data, source: source, sizeLimit: 1 << 26)
        case .gzip: _ = try? Gzip.decompress(data, source: source, sizeLimit: 1 << 26)
        case .png: _ = try? PNG.decode(data, source: source, maximumPixelCount: 1 << 22)
        case .jpeg: _ = try? JPEGDecoder.decode(data, source: source, maxPixelCount: 1 << 22)
        case .safetensors: _ = try? Safetensors.decodeWithMetadata(data, source: source)
        case .json:
            // The model folder's JSON files: the autoencoder's and the pipeline's configurations.
            if let configuration = try? JSONDecoder().decode(AutoencoderConfiguration.self, from: data),
               (try? configuration.validate()) != nil {
                _ = configuration.storedScalarCount
            }
            _ = try? JSONDecoder().decode(PipelineConfiguration.self, from: data)
        }
    }

    /// Small valid files to start from (libFuzzer mutates them); none for JPEG, whose seeds
    /// `scripts/fuzz.sh` takes from the system.
    func seeds() throws -> [Data] {
        let small = NumpyArray(shape: [2, 3], floats: [0, 0.5, 1, 0.25, 0.75, 1])
        switch self {
        case .npy: return [small.encode(), NumpyArray(shape: [2, 2, 2], storage: .uint8([0, 1, 2, 3, 4, 5, 6, 7])).encode()]
        case .npz:
            let archive = NumpyArchive(entries: [.init(name: "x_train", array: small), .init(name: "y_train", array: NumpyArray(shape: [2], storage: .uint8([1, 2])))])
            return [archive.encode(), archive.encode(compressed: true)]
        case .idx:
            let images = IDXArray(dimensions: [2, 2, 3], storage: .uint8([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])).encode()
            return [images, Gzip.compress(images)]
        case .gzip: return [Gzip.compress(Data("latentot fuzz seed".utf8)), Gzip.compress(small.encode())]
        case .png:
            return [try PNG.encode(RasterImage(width: 3, height: 2, channels: 1, pixels: [0, 50, 100, 150, 200, 250])),
                    try PNG.encode(RasterImage(width: 2, height: 2, channels: 3, pixels: Array(0..<12).map { UInt8($0 * 20) }))]
        case .jpeg: return []
        case .safetensors:
            return [Safetensors.encode(tensors: [(name: "w", shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])], metadata: ["config": "{}"])]
        case .json:
            let configuration = AutoencoderConfiguration(architecture: .conv, imageShape: [1, 28, 28], latentDimension: 8, baseWidth: 4)
            return [configuration.jsonData()]
        }
    }

    /// The reader a fuzzing process runs: `LATENTOT_FUZZ_READER` (default npy).
    static let current: FuzzReader = {
        let name = ProcessInfo.processInfo.environment["LATENTOT_FUZZ_READER"] ?? "npy"
        guard let reader = FuzzReader(rawValue: name) else {
            fatalError("LATENTOT_FUZZ_READER=\(name): expected one of \(FuzzReader.allCases.map(\.rawValue))")
        }
        return reader
    }()
}

/// libFuzzer's entry point (the `make fuzz` build links libFuzzer, which supplies `main`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    FuzzReader.current.read(data)
    return 0
}

#if LATENTOT_FUZZ
/// libFuzzer's driver, entered from the executable's entry point (SwiftPM names it
/// `LatentOTFuzz_main` and links `main` to it).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@_cdecl("LatentOTFuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc, vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, fuzzOneInput)
}
#else
/// Without libFuzzer (a normal build): `latentot-fuzz READER FILE...` replays inputs, e.g. a crash
/// file `make fuzz` saved, under the ordinary build.
@main struct FuzzReplay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        if arguments.first == "seeds", let folder = arguments.dropFirst().first {
            // latentot-fuzz seeds DIR: DIR/READER/seed-K for every reader.
            for reader in FuzzReader.allCases {
                let directory = URL(fileURLWithPath: folder).appendingPathComponent(reader.rawValue)
                try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                for (k, seed) in ((try? reader.seeds()) ?? []).enumerated() {
                    try? seed.write(to: directory.appendingPathComponent("seed-\(k)"))
                }
            }
            return
        }
        guard let name = arguments.first, let reader = FuzzReader(rawValue: name) else {
            print("usage: latentot-fuzz \(FuzzReader.allCases.map(\.rawValue).joined(separator: "|")) FILE...   or   latentot-fuzz seeds DIR")
            exit(2)
        }
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else { print("\(path): unreadable"); exit(1) }
            reader.read(data)
            print("\(path): \(reader.rawValue) reader returned")
        }
    }
}
#endif
