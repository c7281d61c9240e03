// swift-tools-version: 6.0
// LatentOT: generative models by semi-discrete optimal transport in an autoencoder's latent space.
import PackageDescription

/// Optimised numerics everywhere: the transport kernel and the network layers are hot loops.
let fastMath: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]

let package = Package(
    name: "LatentOT",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "latentot", targets: ["LatentOTTool"]),
        .executable(name: "latentot-bench", targets: ["LatentOTBench"]),
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
        .target(name: "LatentOT",
                dependencies: ["TensorModule", "NeuralNet", "Transport", "ImageFormats", "Datasets", "Metrics"],
                swiftSettings: fastMath),
        .executableTarget(name: "LatentOTTool",
                          dependencies: ["LatentOT", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        .executableTarget(name: "LatentOTBench",
                          dependencies: ["LatentOT", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: fastMath),

        // Tests mirror Sources; shared helpers live in TestSupport.
        .target(name: "TestSupport", dependencies: ["TensorModule"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorModuleTests", dependencies: ["TensorModule", "TestSupport"]),
        .testTarget(name: "NeuralNetTests", dependencies: ["NeuralNet", "TestSupport"]),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "TestSupport"]),
        .testTarget(name: "ImageFormatsTests", dependencies: ["ImageFormats", "TestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "TestSupport"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "TestSupport"]),
        .testTarget(name: "LatentOTTests", dependencies: ["LatentOT", "TestSupport"]),
        .testTarget(name: "LatentOTToolTests", dependencies: ["LatentOT", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
