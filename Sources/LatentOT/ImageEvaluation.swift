import Foundation
import TensorModule
import NeuralNet
import Datasets
import Metrics

/// The image metrics of one set of images (generated, or real for calibration).
///
/// Feature space: the penultimate layer of the `FeatureClassifier` trained on the dataset's labelled
/// training images (after its ReLU). Reference: a seeded subset of the real training images.
public struct ImageEvaluationReport: Codable, Equatable, Sendable {
    /// What was scored ("generated", "real test", "blurred test (σ = 1 px)", ...).
    public var label: String
    /// Images scored (a seeded subset of those given, at most `Settings.sampleCount`).
    public var sampleCount: Int
    /// Real training images they are compared with.
    public var referenceCount: Int
    /// Fréchet distance between Gaussians fitted to the features of the scored and reference images.
    public var frechetDistance: Double
    /// Improved precision (Kynkäänniemi et al. 2019): fraction of scored images inside the real feature manifold.
    public var precision: Double
    /// Improved recall: fraction of reference images inside the scored images' feature manifold.
    public var recall: Double
    /// k of the k-nearest-neighbour balls of precision and recall.
    public var neighbourCount: Int
    /// Scored images per predicted class.
    public var classHistogram: [Int]
    /// Classes predicted for at least `minimumClassShare` of the scored images.
    public var classesCovered: Int
    public var minimumClassShare: Double
    /// Pixel space: fraction of scored images closer (Euclidean, pixels in [0, 1]) to their nearest
    /// training image than `memorisationThreshold`, the 1st percentile of the reference test images'
    /// nearest-training-image distances. Real unseen images score about 0.01; a copying generator near 1.
    public var memorisation: Double
    public var memorisationThreshold: Double
    /// The same rule in the classifier's feature space.
    public var featureMemorisation: Double
    public var featureMemorisationThreshold: Double
    /// Training images searched for nearest neighbours (all of them unless `Settings.memorisationTrainingCount`).
    public var memorisationTrainingCount: Int
    /// The classifier's accuracy on all the labelled test images (nil without test labels).
    public var classifierTestAccuracy: Double?
    /// Seconds spent scoring this set.
    public var seconds: Double
}

/// Scores generated images against real ones in the feature space of a `FeatureClassifier`:
/// Fréchet distance, precision and recall (k = 3), class histogram and classes covered, and
/// memorisation in pixel and feature space. `calibration()` scores real held-out test images and a
/// blurred copy of them with the same machinery, so a report shows the scale.
///
/// Sizes follow the field's protocol (FID's 10k-vs-10k, Kynkäänniemi's k = 3): the reference is a
/// seeded subset of at most `referenceCount` (10,000) real *training* images, every scored set is at
/// most `sampleCount` (10,000) images, and the calibration row is the test split (at most
/// `referenceCount` images), never trained on by the generator nor the classifier. Precision and
/// recall depend on the sizes (a manifold of 5,000 balls covers less than one of 10,000), so rows are
/// comparable only at equal sizes, which the report states. Everything that depends only on the real
/// data (reference features, training features, memorisation thresholds) is computed once in `init`.
///
/// Cost (Fashion-MNIST, 2 cores): init ≈ 30 s with all 60,000 training images (features of every
/// training image, and 10,000 × 60,000 nearest-neighbour distances in 784-dimensional pixel space by
/// tiled GEMM); each `evaluate` of 10,000 images ≈ 15 s, dominated by the same pixel-space search.
/// Set `memorisationTrainingCount` to trade exactness for time.
public final class ImageEvaluation {
    public struct Settings: Codable, Equatable, Sendable {
        /// Real training images in the reference set, and at most as many test images in the calibration row.
        public var referenceCount: Int
        /// Generated images scored (a seeded subset when more are given).
        public var sampleCount: Int
        /// Training images searched by the memorisation metric (nil: all).
        public var memorisationTrainingCount: Int?
        /// The percentile of test-to-training distances below which an image counts as a copy.
        public var memorisationPercentile: Double
        /// k of precision and recall.
        public var neighbourCount: Int
        /// A class is covered when at least this share of the scored images is predicted in it.
        public var minimumClassShare: Double
        /// σ in pixels of the Gaussian blur of the calibration.
        public var blurStandardDeviation: Double
        public var seed: UInt64

        public init(referenceCount: Int = 10_000, sampleCount: Int = 10_000, memorisationTrainingCount: Int? = nil,
                    memorisationPercentile: Double = 0.01, neighbourCount: Int = 3, minimumClassShare: Double = 0.01,
                    blurStandardDeviation: Double = 1, seed: UInt64 = 0) {
            self.referenceCount = referenceCount
            self.sampleCount = sampleCount
            self.memorisationTrainingCount = memorisationTrainingCount
            self.memorisationPercentile = memorisationPercentile
            self.neighbourCount = neighbourCount
            self.minimumClassShare = minimumClassShare
            self.blurStandardDeviation = blurStandardDeviation
            self.seed = seed
        }
    }

    public let classifier: FeatureClassifier
    public let settings: Settings
    public let classifierTestAccuracy: Double?
    /// Reference training images [r, c, h, w] every score compares with.
    public let referenceImages: Tensor
    /// Their features, flat [r × featureCount].
    let referenceFeatures: [Float]
    /// Their k-th nearest-neighbour radii (precision's real manifold), computed once.
    let referenceRadii: [Float]
    /// Test images [m, c, h, w] for calibration (never trained on).
    public let heldOutImages: Tensor
    let trainingPixels: [Float]
    let trainingFeatures: [Float]
    public let memorisationThreshold: Double
    public let featureMemorisationThreshold: Double
    public var referenceCount: Int { referenceFeatures.count / classifier.featureCount }
    public var memorisationTrainingCount: Int { trainingPixels.count / classifier.configuration.imageSize }

    /// - Parameters:
    ///   - classifier: trained on the labelled training images.
    ///   - trainingImages: [N, c, h, w] with N > k, the images the generator was trained on (the
    ///     reference set and memorisation).
    ///   - testImages: real images never trained on, [M, c, h, w] with M > k.
    ///   - testLabels: their labels, for the classifier's accuracy (optional).
    public init(classifier: FeatureClassifier, trainingImages: Tensor, testImages: Tensor, testLabels: [Int]? = nil,
                settings: Settings = Settings()) {
        let shape = classifier.imageShape
        precondition(trainingImages.rank == 4 && Array(trainingImages.shape.dropFirst()) == shape,
                     "ImageEvaluation: training images \(trainingImages.shape), expected [n] + \(shape)")
        precondition(testImages.rank == 4 && Array(testImages.shape.dropFirst()) == shape,
                     "ImageEvaluation: test images \(testImages.shape), expected [n] + \(shape)")
        precondition(testImages.shape[0] > settings.neighbourCount,
                     "ImageEvaluation: \(testImages.shape[0]) test images, need more than k = \(settings.neighbourCount)")
        precondition(trainingImages.shape[0] > settings.neighbourCount,
                     "ImageEvaluation: \(trainingImages.shape[0]) training images, need more than k = \(settings.neighbourCount)")
        precondition(settings.referenceCount > settings.neighbourCount && settings.sampleCount > settings.neighbourCount,
                     "ImageEvaluation: referenceCount \(settings.referenceCount) and sampleCount \(settings.sampleCount) must exceed k = \(settings.neighbourCount)")
        precondition(testLabels.map { $0.count == testImages.shape[0] } ?? true,
                     "ImageEvaluation: \(testLabels?.count ?? 0) labels for \(testImages.shape[0]) test images")
        self.classifier = classifier
        self.settings = settings
        classifierTestAccuracy = testLabels.map { classifier.accuracy(images: testImages, labels: $0) }

        referenceImages = ImageEvaluation.seededSubset(trainingImages, count: settings.referenceCount, seed: settings.seed, label: 0xE7A1)
        heldOutImages = ImageEvaluation.seededSubset(testImages, count: settings.referenceCount, seed: settings.seed, label: 0xE7A4)
        referenceFeatures = classifier.features(referenceImages).scalars
        referenceRadii = PrecisionRecall.radii(referenceFeatures, dimension: classifier.featureCount, k: settings.neighbourCount)

        let training: Tensor
        if let limit = settings.memorisationTrainingCount, limit < trainingImages.shape[0] {
            precondition(limit >= 1, "ImageEvaluation: memorisationTrainingCount must be ≥ 1")
            training = ImageEvaluation.seededSubset(trainingImages, count: limit, seed: settings.seed, label: 0xE7A2)
        } else {
            training = trainingImages
        }
        trainingPixels = training.scalars
        trainingFeatures = classifier.features(training).scalars

        let imageSize = classifier.configuration.imageSize, f = classifier.featureCount
        memorisationThreshold = ImageEvaluation.percentile(
            ImageEvaluation.nearestDistances(heldOutImages.scalars, trainingPixels, dimension: imageSize),
            settings.memorisationPercentile)
        featureMemorisationThreshold = ImageEvaluation.percentile(
            ImageEvaluation.nearestDistances(classifier.features(heldOutImages).scalars, trainingFeatures, dimension: f),
            settings.memorisationPercentile)
    }

    /// All of `images` when there are at most `count`, otherwise a seeded subset of `count` in their order.
    static func seededSubset(_ images: Tensor, count: Int, seed: UInt64, label: UInt64) -> Tensor {
        guard images.shape[0] > count else { return images }
        var rng = SeededGenerator.stream(seed: seed, label: label)
        return images.gatherRows(Array(Shuffle.permutation(count: images.shape[0], using: &rng).prefix(count)).sorted())
    }

    /// Distance of each query row to its nearest reference row (exact; pruned by a principal-subspace
    /// bound in pixel space, where the full scan would dominate the evaluation's time).
    static func nearestDistances(_ queries: [Float], _ references: [Float], dimension: Int) -> [Float] {
        PrunedNearestNeighbours.distances(queries: queries, references: references, dimension: dimension)
    }

    /// The value at index ⌊count·p⌋ of the sorted distances (the rule of `Metrics.Memorisation`).
    static func percentile(_ distances: [Float], _ p: Double) -> Double {
        let sorted = distances.sorted()
        precondition(!sorted.isEmpty, "ImageEvaluation: no distances")
        return Double(sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * p).rounded(.down))))])
    }

    /// Scores `images` [n, c, h, w] (values in [0, 1]); at most `settings.sampleCount` of them, a
    /// seeded subset when there are more.
    public func evaluate(_ images: Tensor, label: String = "generated") -> ImageEvaluationReport {
        precondition(images.rank == 4 && Array(images.shape.dropFirst()) == classifier.imageShape,
                     "ImageEvaluation.evaluate: images \(images.shape), expected [n] + \(classifier.imageShape)")
        precondition(images.shape[0] > settings.neighbourCount,
                     "ImageEvaluation.evaluate: \(images.shape[0]) images, need more than k = \(settings.neighbourCount)")
        let clock = ContinuousClock(), start = clock.now
        let scored = ImageEvaluation.seededSubset(images, count: settings.sampleCount, seed: settings.seed, label: 0xE7A3)
        let n = scored.shape[0], f = classifier.featureCount, k = classifier.classCount
        let (featureTensor, logits) = classifier.featuresAndLogits(scored)
        let features = featureTensor.scalars
        let frechet = FrechetDistance.compute(features, referenceFeatures, dimension: f)
        let precisionRecall = PrecisionRecall(real: referenceFeatures, realRadii: referenceRadii, generated: features, dimension: f, k: settings.neighbourCount)
        var histogram = [Int](repeating: 0, count: k)
        for c in FeatureClassifier.argmax(logits) { histogram[c] += 1 }
        let covered = histogram.filter { Double($0) >= settings.minimumClassShare * Double(n) && $0 > 0 }.count
        let pixelDistances = ImageEvaluation.nearestDistances(scored.scalars, trainingPixels, dimension: classifier.configuration.imageSize)
        let featureDistances = ImageEvaluation.nearestDistances(features, trainingFeatures, dimension: f)
        let copied = pixelDistances.filter { Double($0) < memorisationThreshold }.count
        let featureCopied = featureDistances.filter { Double($0) < featureMemorisationThreshold }.count
        return ImageEvaluationReport(
            label: label, sampleCount: n, referenceCount: referenceCount, frechetDistance: frechet,
            precision: precisionRecall.precision, recall: precisionRecall.recall, neighbourCount: settings.neighbourCount,
            classHistogram: histogram, classesCovered: covered, minimumClassShare: settings.minimumClassShare,
            memorisation: Double(copied) / Double(n), memorisationThreshold: memorisationThreshold,
            featureMemorisation: Double(featureCopied) / Double(n), featureMemorisationThreshold: featureMemorisationThreshold,
            memorisationTrainingCount: memorisationTrainingCount, classifierTestAccuracy: classifierTestAccuracy,
            seconds: (clock.now - start) / .seconds(1))
    }

    /// The scale of the metrics: real test images (never trained on; about the best a generator can
    /// do at this sample size) and the same images blurred by a Gaussian of
    /// `settings.blurStandardDeviation` pixels.
    public func calibration() -> (real: ImageEvaluationReport, blurred: ImageEvaluationReport) {
        let real = evaluate(heldOutImages, label: "real test (held out)")
        let sigma = settings.blurStandardDeviation
        let blurred = evaluate(ImageBlur.gaussian(heldOutImages, standardDeviation: sigma),
                               label: "blurred test (Gaussian σ = \(sigma) px)")
        return (real, blurred)
    }
}
