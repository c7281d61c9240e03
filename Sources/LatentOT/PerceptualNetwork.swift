import Foundation
import TensorModule
import NeuralNet
import Datasets

/// The frozen classifier inside an autoencoder's perceptual term (`PerceptualLoss`): the small
/// `FeatureClassifier` (base width 16, 128 features), trained for about 20,000 image presentations
/// (2 epochs on Fashion-MNIST, ≈ 91 %, ≈ 55 s on this project's 2-core machines) from a seed of its own. It is kept beside
/// the autoencoder (`perceptual-network.json` and `.safetensors`) so a resumed run uses the same one.
/// It differs from the evaluation's network (`EvaluationClassifier`: width 32, other seed and recipe),
/// so the metrics do not reward fitting the very features they measure.
public enum PerceptualNetwork {
    public static let configurationName = "perceptual-network.json"
    public static let weightsName = "perceptual-network.safetensors"
    /// Mixed into the run's seed, so the network never shares the evaluation classifier's draws.
    static let seedLabel: UInt64 = 0x9E7C_E97

    public static func loadOrTrain(train: ImageDataset, test: ImageDataset, store: ArtifactStore, prefix: String,
                                   seed: UInt64) throws -> FeatureClassifier {
        guard let labels = train.labels else {
            throw LatentOTError.invalidValue(field: "--perceptual-weight", expected: "labelled training images (its network is a classifier)",
                                             found: "\(train.name) without labels")
        }
        let seed = seed ^ seedLabel
        if let network = try FeatureClassifierFiles.load(from: store, configurationName: prefix + configurationName,
                                                         weightsName: prefix + weightsName, seed: seed) {
            return network
        }
        let classCount = max(2, train.classCount ?? 1, (labels.max() ?? 0) + 1)
        let network = try FeatureClassifier(configuration: FeatureClassifierConfiguration(imageShape: train.imageShape, classCount: classCount),
                                            seed: seed)
        FeatureClassifierTrainer(model: network, configuration: .recommended(imageCount: train.count, seed: seed))
            .fit(images: train.images, labels: labels)
        try FeatureClassifierFiles.save(network, to: store, configurationName: prefix + configurationName, weightsName: prefix + weightsName)
        return network
    }
}
