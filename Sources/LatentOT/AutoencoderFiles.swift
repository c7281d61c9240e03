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
        let weightData = try store.require(weightsName)
        // A configuration asking for more float32 scalars than the weights file holds is refused
        // before anything is allocated (a hostile [1, 100000, 100000] image shape asked for 20 TB).
        let expected = modelConfiguration.storedScalarCount
        guard expected <= weightData.count / 4 else {
            throw LatentOTError.incompatible(store.describe(configurationName),
                                             reason: "the model it describes has \(expected == Int.max ? "too many" : "\(expected)") parameters and statistics, but \(store.describe(weightsName)) holds \(weightData.count) bytes (at most \(weightData.count / 4) float32 values)")
        }
        let model = try makeAutoencoderModel(modelConfiguration)
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
