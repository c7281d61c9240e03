import Foundation
import TensorModule
import NeuralNet

/// The files of a trained autoencoder inside a folder, and loading one back from them alone.
public enum AutoencoderFiles {
    public static let configuration = "autoencoder.json"
    public static let weights = "autoencoder.safetensors"
    public static let checkpoint = "checkpoint.json"
    public static let report = "report.json"
    public static let lossPlot = "loss.png"
    public static let reconstructions = "reconstructions.png"

    /// Rebuilds the model from `autoencoder.json` and `autoencoder.safetensors`, checking every
    /// tensor's name and shape; errors name the file.
    public static func load(from store: ArtifactStore, prefix: String = "") throws -> AutoencoderModel {
        let configurationName = prefix + configuration, weightsName = prefix + weights
        let configurationData = try store.require(configurationName)
        let modelConfiguration: AutoencoderConfiguration
        do {
            modelConfiguration = try JSONDecoder().decode(AutoencoderConfiguration.self, from: configurationData)
            try modelConfiguration.validate()
        } catch {
            throw LatentOTError.corruptFile(store.describe(configurationName), reason: JSONCoding.reason(error))
        }
        let model = try makeAutoencoderModel(modelConfiguration)
        let weightData = try store.require(weightsName)
        do { try model.loadParameters(from: weightData, source: store.describe(weightsName)) } catch {
            throw LatentOTError.corruptFile(store.describe(weightsName), reason: "\(error)")
        }
        return model
    }

    /// Writes the configuration and weights of a model.
    public static func save(_ model: AutoencoderModel, to store: ArtifactStore, prefix: String = "") throws {
        try store.write(model.configuration.jsonData(), named: prefix + configuration)
        try store.write(model.safetensorsData(), named: prefix + weights)
    }
}
