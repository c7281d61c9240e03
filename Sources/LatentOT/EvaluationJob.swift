import Foundation
import TensorModule
import NeuralNet
import Datasets

/// `evaluation/report.json`: every generator scored in the same feature space, with real and
/// blurred test images as the scale.
public struct EvaluationSummary: Codable, Sendable {
    public var dataset: String
    public var featureSpace: String
    public var classifierTestAccuracy: Double?
    public var seed: UInt64
    /// One row per scored set: "LatentOT (extended)" (the default extended sampler), "LatentOT (extended,
    /// AE-OT uniform blend)", "LatentOT (extended, facet blend)", "LatentOT (pure)", "Gaussian (same AE)", "neural potential (same AE)",
    /// "VAE", "real test", "blurred test" (a baseline's row only when the model has it).
    public var rows: [ImageEvaluationReport]
    /// Acceptance rate of the extended sampler.
    public var extendedAcceptanceRate: Double?

    /// A Markdown table of the rows.
    public var markdownTable: String {
        var lines = ["| generator | Fréchet distance ↓ | precision ↑ | recall ↑ | classes covered | memorisation (pixels) ↓ | memorisation (features) ↓ |",
                     "|---|---:|---:|---:|---:|---:|---:|"]
        for r in rows {
            lines.append(String(format: "| %@ | %.2f | %.3f | %.3f | %d/%d | %.3f | %.3f |", r.label, r.frechetDistance, r.precision,
                                r.recall, r.classesCovered, r.classHistogram.count, r.memorisation, r.featureMemorisation))
        }
        let accuracy = classifierTestAccuracy.map { String(format: "%.1f %%", 100 * $0) } ?? "n/a"
        lines.append("")
        lines.append("Feature space: \(featureSpace) (test accuracy \(accuracy)); \(rows.first?.sampleCount ?? 0) samples per row against \(rows.first?.referenceCount ?? 0) real test images.")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Scores a model's generators (or a file of samples) in a feature space LatentOT trains itself:
/// a small CNN classifier on the labelled training set, kept in `classifier/` so later evaluations
/// reuse it.
public struct EvaluationJob {
    public var settings: ImageEvaluation.Settings
    public var seed: UInt64

    public init(settings: ImageEvaluation.Settings = .init(), seed: UInt64) {
        self.settings = settings
        self.seed = seed
    }

    /// The classifier of the model folder, trained on first use.
    public func classifier(train: ImageDataset, test: ImageDataset, store: ArtifactStore,
                           log: (String) -> Void) throws -> FeatureClassifier {
        let configurationName = ModelFiles.classifier + "classifier.json", weightsName = ModelFiles.classifier + "classifier.safetensors"
        if let configurationData = try store.read(configurationName) {
            let configuration: FeatureClassifierConfiguration
            do { configuration = try JSONDecoder().decode(FeatureClassifierConfiguration.self, from: configurationData) } catch {
                throw LatentOTError.corruptFile(store.describe(configurationName), reason: JSONCoding.reason(error))
            }
            let model = try FeatureClassifier(configuration: configuration, seed: seed)
            do { try model.loadParameters(from: try store.require(weightsName), source: store.describe(weightsName)) } catch let error as LatentOTError {
                throw error
            } catch {
                throw LatentOTError.corruptFile(store.describe(weightsName), reason: "\(error)")
            }
            return model
        }
        let labels = train.labels ?? [Int](repeating: 0, count: train.count)
        let classCount = max(train.classCount ?? 1, (labels.max() ?? 0) + 1)
        let model = try FeatureClassifier(configuration: FeatureClassifierConfiguration(imageShape: train.imageShape, classCount: max(2, classCount)),
                                          seed: seed)
        if train.labels != nil {
            let trainer = FeatureClassifierTrainer(model: model, configuration: .recommended(imageCount: train.count, seed: seed))
            log("training the evaluation classifier on \(train.count) labelled images")
            trainer.fit(images: train.images, labels: labels, testImages: test.images, testLabels: test.labels)
        } else {
            log("no labels: the feature space is an untrained (random) CNN")
        }
        try store.write(model.configuration.jsonData(), named: configurationName)
        try store.write(model.safetensorsData(), named: weightsName)
        return model
    }

    /// Scores every generator of the model (or only `samples` when given) plus the calibration rows.
    public func run(model: GenerativeModel, train: ImageDataset, test: ImageDataset, store: ArtifactStore,
                    samples: Tensor? = nil, log: (String) -> Void = { _ in }) throws -> EvaluationSummary {
        let classifier = try self.classifier(train: train, test: test, store: store, log: log)
        let evaluation = ImageEvaluation(classifier: classifier, trainingImages: train.images, testImages: test.images,
                                         testLabels: test.labels, settings: settings)
        var rows: [ImageEvaluationReport] = []
        var acceptance: Double? = nil
        if let samples {
            rows.append(evaluation.evaluate(samples, label: "samples"))
        } else {
            let count = settings.sampleCount
            let extended = try model.images(count: count, generator: .ot, sampler: .defaultExtended, seed: seed)
            acceptance = extended.codes?.acceptanceRate
            log("scoring LatentOT (extended)")
            rows.append(evaluation.evaluate(extended.images, label: "LatentOT (extended)"))
            log("scoring LatentOT (extended, AE-OT uniform blend)")
            let uniform = try model.images(count: count, generator: .ot, sampler: .aeotExtended, seed: seed)
            rows.append(evaluation.evaluate(uniform.images, label: "LatentOT (extended, AE-OT uniform blend)"))
            log("scoring LatentOT (extended, facet blend)")
            let facet = try model.images(count: count, generator: .ot,
                                         sampler: .extended(threshold: .acceptance(0.75), neighbours: 2, blend: .facet, rejected: .pure),
                                         seed: seed)
            rows.append(evaluation.evaluate(facet.images, label: "LatentOT (extended, facet blend)"))
            log("scoring LatentOT (pure)")
            rows.append(evaluation.evaluate(try model.images(count: count, generator: .ot, sampler: .pure, seed: seed).images,
                                            label: "LatentOT (pure)"))
            log("scoring the Gaussian baseline")
            rows.append(evaluation.evaluate(try model.images(count: count, generator: .gaussian, sampler: .pure, seed: seed).images,
                                            label: "Gaussian (same AE)"))
            if model.configuration.hasBaseline(.neuralPotential) {
                log("scoring the neural-potential baseline")
                rows.append(evaluation.evaluate(try model.images(count: count, generator: .neuralPotential, sampler: .pure, seed: seed).images,
                                                label: "neural potential (same AE)"))
            }
            if model.configuration.hasBaseline(.vae) {
                log("scoring the VAE baseline")
                rows.append(evaluation.evaluate(try model.images(count: count, generator: .vae, sampler: .pure, seed: seed).images,
                                                label: "VAE"))
            }
        }
        let (real, blurred) = evaluation.calibration()
        rows += [real, blurred]
        let summary = EvaluationSummary(dataset: model.configuration.dataset,
                                        featureSpace: train.labels == nil ? "untrained CNN (random features)" : "penultimate layer of a CNN classifier trained on the labelled training set",
                                        classifierTestAccuracy: evaluation.classifierTestAccuracy, seed: seed, rows: rows,
                                        extendedAcceptanceRate: acceptance)
        try store.writeJSON(summary, named: ModelFiles.evaluation + "report.json")
        try store.write(Data(summary.markdownTable.utf8), named: ModelFiles.evaluation + "table.md")
        return summary
    }
}
