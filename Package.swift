// swift-tools-version: 6.0
// LatentOT: generative models by semi-discrete optimal transport in an autoencoder's latent space.
import PackageDescription
import Foundation

/// Optimised numerics everywhere: the transport kernel and the network layers are hot loops.
let fastMath: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

/// Open MPI is optional. The distributed solver (`transport solve --distributed` under `mpirun`) is
/// built only when MPI's development files are present, so a single-machine build needs nothing new.
/// `LATENTOT_MPI=1` or `=0` forces the choice (the Makefile sets it from `pkg-config --exists ompi-c`,
/// which also keys SwiftPM's manifest cache on it); otherwise the manifest looks for Open MPI's
/// pkg-config file or header where Debian, Homebrew and /usr/local put them.
let mpiIsAvailable: Bool = {
    if let forced = ProcessInfo.processInfo.environment["LATENTOT_MPI"], !forced.isEmpty { return forced != "0" }
    let candidates = ["x86_64-linux-gnu", "aarch64-linux-gnu"].flatMap {
        ["/usr/lib/\($0)/pkgconfig/ompi-c.pc", "/usr/lib/\($0)/openmpi/include/mpi.h"]
    } + ["/usr/lib/pkgconfig/ompi-c.pc", "/usr/local/lib/pkgconfig/ompi-c.pc", "/opt/homebrew/lib/pkgconfig/ompi-c.pc"]
    return candidates.contains { FileManager.default.fileExists(atPath: $0) }
}()

/// The MPI targets: the C API and the MPI implementation of DistributedTransport's `Communicator`.
let mpiTargets: [Target] = mpiIsAvailable ? [
    .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"]), .brew(["open-mpi"])]),
    .target(name: "MPIWrapper", dependencies: ["CMPI", "DistributedTransport"], swiftSettings: fastMath),
] : []
let toolMPIDependencies: [Target.Dependency] = mpiIsAvailable ? ["MPIWrapper"] : []

let package = Package(
    name: "LatentOT",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "latentot", targets: ["LatentOTTool"]),
        .executable(name: "latentot-bench", targets: ["LatentOTBench"]),
        .executable(name: "latentot-fuzz", targets: ["LatentOTFuzz"]),
        .library(name: "LatentOT", targets: ["LatentOT"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries (Debian -dev packages; Accelerate replaces CBLAS on Apple platforms).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg-dev"]), .brew(["jpeg-turbo"])]),

        // Layers, lowest first.
        .target(name: "TensorModule",
                dependencies: [.target(name: "CBLAS", condition: .when(platforms: [.linux]))],
                swiftSettings: fastMath),
        .target(name: "NeuralNet", dependencies: ["TensorModule"], swiftSettings: fastMath),
        .target(name: "Transport", dependencies: ["TensorModule"], swiftSettings: fastMath),
        .target(name: "ImageFormats", dependencies: ["TensorModule", "CPNG", "CZlib"], swiftSettings: fastMath),
        .target(name: "Datasets", dependencies: ["TensorModule", "ImageFormats", "CZlib", "CJPEG"], swiftSettings: fastMath),
        .target(name: "Metrics", dependencies: ["TensorModule"], swiftSettings: fastMath),
        // The distributed solver on any `Communicator` (threads here; MPI through MPIWrapper).
        .target(name: "DistributedTransport", dependencies: ["TensorModule", "Transport"], swiftSettings: fastMath),
        .target(name: "LatentOT",
                dependencies: ["TensorModule", "NeuralNet", "Transport", "DistributedTransport", "ImageFormats", "Datasets",
                               "Metrics"],
                swiftSettings: fastMath),
        .executableTarget(name: "LatentOTTool",
                          dependencies: ["LatentOT", .product(name: "ArgumentParser", package: "swift-argument-parser")]
                            + toolMPIDependencies),

        .executableTarget(name: "LatentOTBench",
                          dependencies: ["LatentOT", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: fastMath),

        // The readers' fuzzing harness (`make fuzz` builds it with libFuzzer; otherwise it replays inputs).
        .executableTarget(name: "LatentOTFuzz", dependencies: ["Datasets", "ImageFormats", "NeuralNet", "LatentOT"]),

        // Tests mirror Sources; shared helpers live in TestSupport.
        .target(name: "TestSupport", dependencies: ["TensorModule"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorModuleTests", dependencies: ["TensorModule", "TestSupport"]),
        .testTarget(name: "NeuralNetTests", dependencies: ["NeuralNet", "TestSupport"]),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "TestSupport"]),
        .testTarget(name: "ImageFormatsTests", dependencies: ["ImageFormats", "TestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "TestSupport"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "TestSupport"]),
        .testTarget(name: "LatentOTTests", dependencies: ["LatentOT", "DistributedTransport", "TestSupport"]),
        .testTarget(name: "LatentOTToolTests", dependencies: ["LatentOT", "TestSupport"]),
        .testTarget(name: "DistributedTransportTests",
                    dependencies: ["DistributedTransport", "Transport", "Datasets", "TestSupport"]),
    ] + mpiTargets,
    swiftLanguageModes: [.v5]
)
