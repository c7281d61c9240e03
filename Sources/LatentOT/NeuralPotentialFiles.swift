import Foundation
import Transport

/// The files of a trained neural potential inside a folder (the `neural-potential/` baseline of a
/// model), and loading one back from them alone:
/// `potential.json` (the configuration and the code normalisation: what rebuilds the network and
/// maps its samples back to the codes' coordinates), `potential.safetensors` (the weights) and
/// `report.json` (how it was trained: `BaselineTraining`).
public enum NeuralPotentialFiles {
    public static let state = "potential.json"
    public static let weights = "potential.safetensors"
    public static let report = "report.json"

    /// What `potential.json` holds.
    public struct State: Codable, Equatable, Sendable {
        public var configuration: NeuralPotentialGenerator.Configuration
        /// Nil when the codes were used as they are (`normalizesCodes` false).
        public var normalization: CodeNormalization?
    }

    /// Writes the weights first and `potential.json` last, so a folder with `potential.json` holds a
    /// complete generator (each file is written atomically by the store).
    public static func save(_ generator: NeuralPotentialGenerator, training: BaselineTraining, to store: ArtifactStore,
                            prefix: String = "") throws {
        try store.write(generator.safetensorsData(), named: prefix + weights)
        try store.writeJSON(training, named: prefix + report)
        try store.writeJSON(State(configuration: generator.configuration, normalization: generator.normalization), named: prefix + state)
    }

    /// Rebuilds the generator from `potential.json` and `potential.safetensors`, checking the
    /// configuration's fields, that its dimension is `dimension` (the autoencoder's code dimension),
    /// the normalisation's centre and scale, and every tensor's name, shape and values; errors name
    /// the file and the field.
    public static func load(from store: ArtifactStore, prefix: String = "", dimension: Int) throws -> NeuralPotentialGenerator {
        let stateName = prefix + state, weightsName = prefix + weights
        let saved = try store.readJSON(State.self, named: stateName)
        do { try saved.configuration.validate() } catch {
            throw LatentOTError.corruptFile(store.describe(stateName), reason: "configuration: \(error)")
        }
        guard saved.configuration.dimension == dimension else {
            throw LatentOTError.incompatible(store.describe(stateName),
                                             reason: "the potential takes codes of dimension \(saved.configuration.dimension), the autoencoder makes \(dimension)")
        }
        if let normalization = saved.normalization {
            guard normalization.centre.count == dimension, normalization.centre.allSatisfy(\.isFinite) else {
                throw LatentOTError.corruptFile(store.describe(stateName),
                                                reason: "normalization.centre: expected \(dimension) finite values, found \(normalization.centre.count) values")
            }
            guard normalization.scale > 0 && normalization.scale.isFinite else {
                throw LatentOTError.corruptFile(store.describe(stateName),
                                                reason: "normalization.scale: expected a finite number > 0, found \(normalization.scale)")
            }
        }
        let generator = NeuralPotentialGenerator(configuration: saved.configuration, normalization: saved.normalization)
        do { try generator.loadParameters(from: try store.require(weightsName), source: store.describe(weightsName)) } catch let error as LatentOTError {
            throw error
        } catch {
            throw LatentOTError.corruptFile(store.describe(weightsName), reason: "\(error)")
        }
        return generator
    }
}
