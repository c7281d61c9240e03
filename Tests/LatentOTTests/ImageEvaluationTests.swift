import Testing
import Foundation
import TensorModule
import NeuralNet
import Metrics
import LatentOT

/// Images of one bright bar per image, its orientation the class (0 horizontal, 1 vertical,
/// 2 diagonal); position and brightness vary, plus faint noise.
func barImages(count: Int, side: Int = 28, seed: UInt64, classes: [Int] = [0, 1, 2]) -> (images: Tensor, labels: [Int]) {
    var rng = SeededGenerator(seed: seed)
    let plane = side * side
    var scalars = [Float](repeating: 0, count: count * plane)
    var labels: [Int] = []
    for i in 0..<count {
        let label = classes[i % classes.count]
        labels.append(label)
        let offset = 4 + Int(rng.next() % UInt64(side - 8))
        let brightness = 0.6 + 0.4 * rng.nextUnitFloat()
        for p in 0..<plane { scalars[i * plane + p] = 0.1 * rng.nextUnitFloat() }
        for t in 2..<(side - 2) {
            let (y, x) = label == 0 ? (offset, t) : label == 1 ? (t, offset) : (t, t)
            scalars[i * plane + y * side + x] = brightness
        }
    }
    return (Tensor(shape: [count, 1, side, side], scalars: scalars), labels)
}

/// A small classifier trained on bars (shared by the evaluation tests; ≈ 0.3 s).
func trainedBarClassifier() throws -> FeatureClassifier {
    let model = try FeatureClassifier(configuration: .init(imageShape: [1, 28, 28], classCount: 3, baseWidth: 4, featureCount: 16), seed: 1)
    let train = barImages(count: 384, seed: 11)
    FeatureClassifierTrainer(model: model, configuration: .init(epochs: 3, batchSize: 32, learningRate: 3e-3, seed: 2))
        .fit(images: train.images, labels: train.labels)
    return model
}

@Suite struct ImageEvaluationTests {
    func setting() throws -> (ImageEvaluation, train: Tensor) {
        let classifier = try trainedBarClassifier()
        let train = barImages(count: 300, seed: 12), test = barImages(count: 240, seed: 13)
        let evaluation = ImageEvaluation(classifier: classifier, trainingImages: train.images, testImages: test.images,
                                         testLabels: test.labels, settings: .init(referenceCount: 100, sampleCount: 100, seed: 3))
        return (evaluation, train.images)
    }

    /// Real held-out images score near the best; blurring worsens the Fréchet distance and recall;
    /// copies of training images are all memorised; the reference is a subset of the training images
    /// of `referenceCount`, the held-out set as many test images.
    @Test func calibrationOrdersTheScale() throws {
        let (evaluation, train) = try setting()
        #expect(evaluation.referenceCount == 100 && evaluation.heldOutImages.shape == [100, 1, 28, 28])
        // The reference images are training images (each equals one of them).
        let trainRows = Set((0..<300).map { train.rows($0..<($0 + 1)).scalars })
        #expect((0..<100).allSatisfy { trainRows.contains(evaluation.referenceImages.rows($0..<($0 + 1)).scalars) })
        #expect(evaluation.classifierTestAccuracy! > 0.9)
        let (real, blurred) = evaluation.calibration()
        #expect(real.sampleCount == 100 && real.classHistogram.reduce(0, +) == 100)
        #expect(real.classesCovered == 3)
        #expect(blurred.frechetDistance > 2 * real.frechetDistance, "real \(real.frechetDistance), blurred \(blurred.frechetDistance)")
        #expect(real.precision > 0.5 && real.recall > 0.5, "real P \(real.precision) R \(real.recall)")
        #expect(real.memorisation <= 0.1 && real.featureMemorisation <= 0.1)
        let copies = evaluation.evaluate(train.rows(0..<100), label: "copies")
        #expect(copies.memorisation == 1 && copies.featureMemorisation == 1)
        #expect(copies.label == "copies" && copies.memorisationTrainingCount == 300)
    }

    /// Memorisation equals Metrics.Memorisation on the same sets; a generator of one class covers
    /// one class; the report is deterministic and more images than sampleCount are subsampled.
    @Test func agreesWithMetricsAndCountsClasses() throws {
        let (evaluation, train) = try setting()
        let horizontal = barImages(count: 150, seed: 14, classes: [0])
        let report = evaluation.evaluate(horizontal.images)
        #expect(report.sampleCount == 100)
        #expect(report.classesCovered == 1 && report.classHistogram[0] == 100, "histogram \(report.classHistogram)")
        let again = evaluation.evaluate(horizontal.images)
        var a = report, b = again
        a.seconds = 0; b.seconds = 0
        #expect(a == b)

        let few = horizontal.images.rows(0..<80)
        let small = evaluation.evaluate(few)
        let reference = Memorisation(generated: few.scalars, training: train.scalars, test: evaluation.heldOutImages.scalars,
                                     dimension: 784)
        #expect(small.memorisation == reference.fraction)
        // The evaluation sums squared differences directly (PrunedNearestNeighbours), Memorisation
        // expands |a|² + |b|² − 2ab: equal up to Float rounding of the expansion.
        #expect(abs(small.memorisationThreshold - reference.threshold) < 1e-5 * (1 + reference.threshold))
        // Ten images of a class, ninety of another: the 1 % rule counts both; 0 of the third is not covered.
        let mixed = Tensor(shape: [100, 1, 28, 28],
                           scalars: barImages(count: 10, seed: 15, classes: [1]).images.scalars + barImages(count: 90, seed: 16, classes: [2]).images.scalars)
        let two = evaluation.evaluate(mixed)
        #expect(two.classesCovered == 2 && two.classHistogram[0] == 0, "histogram \(two.classHistogram)")
    }

    /// A subset of the training set for memorisation is seeded and reported; the default sizes are
    /// the field's 10,000 vs 10,000 (here all 300 training images are the reference, all 60 test
    /// images the calibration, and 10,000 samples would be scored).
    @Test func memorisationSubset() throws {
        let classifier = try trainedBarClassifier()
        let train = barImages(count: 300, seed: 12), test = barImages(count: 60, seed: 13)
        let evaluation = ImageEvaluation(classifier: classifier, trainingImages: train.images, testImages: test.images,
                                         settings: .init(memorisationTrainingCount: 50))
        #expect(evaluation.memorisationTrainingCount == 50 && evaluation.referenceCount == 300)
        #expect(evaluation.heldOutImages.shape[0] == 60)
        #expect(evaluation.classifierTestAccuracy == nil)
        #expect(evaluation.evaluate(test.images).memorisationTrainingCount == 50)
        #expect(evaluation.settings.sampleCount == 10_000 && ImageEvaluation.Settings().referenceCount == 10_000)
    }
}

@Suite struct ImageBlurTests {
    @Test func constantImagesStayConstant() {
        let images = Tensor(repeating: 0.7, shape: [2, 3, 9, 11])
        for blurred in [ImageBlur.gaussian(images, standardDeviation: 1.5), ImageBlur.box(images, radius: 2)] {
            #expect(blurred.shape == images.shape)
            #expect(blurred.scalars.allSatisfy { abs($0 - 0.7) < 1e-5 })
        }
        #expect(ImageBlur.gaussian(images, standardDeviation: 0) == images)
    }

    /// An interior delta spreads to the kernel: a box of radius 1 gives 1/9 on the 3×3 square; a
    /// Gaussian keeps the total mass and is symmetric with its peak at the centre.
    @Test func deltaSpreadsToTheKernel() {
        var delta = Tensor(zeros: [1, 1, 9, 9])
        delta.scalars[4 * 9 + 4] = 1
        let box = ImageBlur.box(delta, radius: 1)
        for y in 0..<9 {
            for x in 0..<9 {
                let expected: Float = abs(y - 4) <= 1 && abs(x - 4) <= 1 ? 1 / 9 : 0
                #expect(abs(box.scalars[y * 9 + x] - expected) < 1e-6)
            }
        }
        let gaussian = ImageBlur.gaussian(delta, standardDeviation: 1)
        #expect(abs(gaussian.scalars.reduce(0, +) - 1) < 1e-5)
        #expect(gaussian.scalars.max() == gaussian.scalars[4 * 9 + 4])
        #expect(abs(gaussian.scalars[4 * 9 + 3] - gaussian.scalars[3 * 9 + 4]) < 1e-7)
        #expect(abs(gaussian.scalars[4 * 9 + 3] - gaussian.scalars[4 * 9 + 5]) < 1e-7)
    }
}

@Suite struct ImageSharpeningTests {
    /// Constant images stay constant; an edge gains contrast on both sides (undershoot clamped at 0,
    /// overshoot at 1 only where the mask pushes past them); amount 0 changes nothing; bad settings are refused.
    @Test func unsharpMaskRaisesEdgeContrast() throws {
        let flat = Tensor(repeating: 0.4, shape: [1, 1, 8, 8])
        #expect(ImageSharpening(amount: 2).apply(flat).scalars.allSatisfy { abs($0 - 0.4) < 1e-5 })
        var edge = Tensor(zeros: [1, 1, 8, 8])
        for y in 0..<8 { for x in 4..<8 { edge.scalars[y * 8 + x] = 0.6 } }
        let sharpened = ImageSharpening(amount: 1).apply(edge)
        #expect(sharpened.scalars[3 * 8 + 4] > 0.6 && sharpened.scalars[3 * 8 + 3] == 0, "\(sharpened.scalars[24..<32])")
        #expect(sharpened.scalars[3 * 8 + 0] == 0 && abs(sharpened.scalars[3 * 8 + 7] - 0.6) < 1e-3)
        #expect(sharpened.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(ImageSharpening(amount: 0).apply(edge) == edge)
        #expect(throws: LatentOTError.self) { try ImageSharpening(amount: -1).validate() }
        #expect(throws: LatentOTError.self) { try ImageSharpening(amount: 1, radius: .nan).validate() }
    }
}
