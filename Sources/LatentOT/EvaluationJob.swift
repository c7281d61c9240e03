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
    /// AE-OT uniform blend)", "autoencoder reconstructions (training codes)" (the floor of every sampler),
    /// "LatentOT (pure)", "Gaussian (same AE)", "neural potential (same AE)", "VAE", "real test",
    /// "blurred test" (a baseline's row only when the model has it). Other samplers (the facet blend)
    /// are scored with `latentot sample` and `evaluate --samples`.
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
        let sizes = rows.map { "\($0.label): \($0.sampleCount)" }.joined(separator: "; ")
        lines.append("Feature space: \(featureSpace); test accuracy \(accuracy). Reference: \(rows.first?.referenceCount ?? 0) real training images; images per row: \(sizes). Precision/recall: k = \(rows.first?.neighbourCount ?? 3) nearest neighbours (Kynkäänniemi et al. 2019); memorisation: share of images closer to a training image than 99 % of test images are.")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Scores a model's generators (or a file of samples) in the feature space of the dataset's
/// evaluation classifier (`EvaluationClassifier`: trained once per dataset, cached in
/// `classifierStores`), beside the floor of every sampler (the autoencoder's reconstructions of
/// training images) and the scale (real and blurred test images).
public struct EvaluationJob {
    public var settings: ImageEvaluation.Settings
    public var seed: UInt64
    /// Where the evaluation classifier is looked up, in order; a newly trained one goes to the last.
    public var classifierStores: [ArtifactStore]

    public init(settings: ImageEvaluation.Settings = .init(), seed: UInt64, classifierStores: [ArtifactStore] = []) {
        self.settings = settings
        self.seed = seed
        self.classifierStores = classifierStores
    }

    /// Scores every generator of the model (or only `samples` when given) plus the calibration rows.
    public func run(model: GenerativeModel, train: ImageDataset, test: ImageDataset, store: ArtifactStore,
                    samples: Tensor? = nil, log: (String) -> Void = { _ in }) throws -> EvaluationSummary {
        let (classifier, record) = try EvaluationClassifier.load(train: train, test: test, stores: classifierStores.isEmpty ? [store] : classifierStores, log: log)
        log("scoring against \(min(settings.referenceCount, train.count)) real training images")
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
            log("scoring the autoencoder's reconstructions (the floor of every sampler)")
            rows.append(evaluation.evaluate(reconstructions(model: model, count: count), label: "autoencoder reconstructions (training codes)"))
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
        let featureSpace = train.labels == nil ? "untrained CNN (random features)"
            : "\(classifier.featureCount)-d penultimate layer of the evaluation CNN (base width \(classifier.configuration.baseWidth), \(record?.trainer.epochs ?? 0) epochs with flips and shifts, recipe v\(EvaluationClassifier.recipeVersion), seed \(EvaluationClassifier.seed); no training loss uses it)"
        let summary = EvaluationSummary(dataset: model.configuration.dataset, featureSpace: featureSpace,
                                        classifierTestAccuracy: evaluation.classifierTestAccuracy, seed: seed, rows: rows,
                                        extendedAcceptanceRate: acceptance)
        try store.writeJSON(summary, named: ModelFiles.evaluation + "report.json")
        try store.write(Data(summary.markdownTable.utf8), named: ModelFiles.evaluation + "table.md")
        return summary
    }

    /// The autoencoder's reconstructions of a seeded subset of `count` training codes: the images
    /// the pure map returns, and the ceiling of every sampler's quality.
    func reconstructions(model: GenerativeModel, count: Int) -> Tensor {
        let d = model.transport.dimension
        let codes = Tensor(shape: [model.transport.codes.count / d, d], scalars: model.transport.codes)
        return model.decode(ImageEvaluation.seededSubset(codes, count: count, seed: seed, label: 0xF100).scalars)
    }
}
