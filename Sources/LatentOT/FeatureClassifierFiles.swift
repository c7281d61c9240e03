import Foundation
import NeuralNet

/// A `FeatureClassifier` kept as two artifacts: its configuration (JSON, written last, so its presence
/// marks a complete pair) and its weights (safetensors). Shared by the evaluation classifier's cache
/// and the perceptual term's network.
public enum FeatureClassifierFiles {
    /// The classifier stored under `configurationName`/`weightsName`, or nil when the configuration is
    /// absent. Errors name the corrupt file.
    public static func load(from store: ArtifactStore, configurationName: String, weightsName: String,
                            seed: UInt64) throws -> FeatureClassifier? {
        guard let data = try store.read(configurationName) else { return nil }
        let configuration: FeatureClassifierConfiguration
        do { configuration = try JSONDecoder().decode(FeatureClassifierConfiguration.self, from: data) } catch {
            throw LatentOTError.corruptFile(store.describe(configurationName), reason: JSONCoding.reason(error))
        }
        let model = try FeatureClassifier(configuration: configuration, seed: seed)
        do {
            try model.loadParameters(from: try store.require(weightsName), source: store.describe(weightsName))
        } catch let error as LatentOTError { throw error } catch {
            throw LatentOTError.corruptFile(store.describe(weightsName), reason: "\(error)")
        }
        return model
    }

    /// Writes the weights, then the configuration.
    public static func save(_ model: FeatureClassifier, to store: ArtifactStore, configurationName: String, weightsName: String) throws {
        try store.write(model.safetensorsData(), named: weightsName)
        try store.write(model.configuration.jsonData(), named: configurationName)
    }
}
