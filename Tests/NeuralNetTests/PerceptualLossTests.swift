import Testing
import Foundation
import TensorModule
import NeuralNet

@Suite struct PerceptualLossTests {
    /// A tiny classifier on 8×8 images with random weights and 2 logits × 64 pixels.
    func setting(seed: UInt64 = 3) throws -> (PerceptualLoss, logits: [Float], targets: [Float]) {
        let network = try FeatureClassifier(configuration: .init(imageShape: [1, 8, 8], classCount: 2, baseWidth: 2, featureCount: 6), seed: seed)
        var rng = SeededGenerator(seed: seed + 1)
        let logits = (0..<128).map { _ in rng.nextUnitFloat() * 4 - 2 }
        let targets = (0..<128).map { _ in rng.nextUnitFloat() }
        return (PerceptualLoss(network: network, weight: 0.7), logits, targets)
    }

    func value(_ loss: PerceptualLoss, _ logits: [Float], _ targets: [Float], gradient: UnsafeMutablePointer<Float>? = nil) -> Double {
        var z = logits
        return z.withUnsafeMutableBufferPointer { zp in
            targets.withUnsafeBufferPointer { tp in
                loss.value(logits: Activation(shape: [2, 1, 8, 8], pointer: zp.baseAddress!), targets: tp.baseAddress!,
                           addingGradientTo: gradient)
            }
        }
    }

    /// ∂ℓ/∂z against central differences of the loss (Float forward: h = 1e-2 keeps the rounding
    /// error ε₃₂·ℓ/h near 1e-5 of the gradient's scale; ReLU kinks crossed by a step are rare at
    /// this size, and the tolerance of 2 % of the largest gradient leaves room for one).
    @Test func gradientMatchesFiniteDifferences() throws {
        let (loss, logits, targets) = try setting()
        var gradient = [Float](repeating: 0, count: 128)
        let base = gradient.withUnsafeMutableBufferPointer { value(loss, logits, targets, gradient: $0.baseAddress!) }
        #expect(base > 0)
        let scale = Double(gradient.map { abs($0) }.max()!)
        #expect(scale > 1e-6)
        var worst = 0.0
        let h: Float = 1e-2
        for j in stride(from: 0, to: 128, by: 3) {
            var plus = logits, minus = logits
            plus[j] += h; minus[j] -= h
            let numeric = (value(loss, plus, targets) - value(loss, minus, targets)) / Double(2 * h)
            worst = max(worst, abs(numeric - Double(gradient[j])))
        }
        #expect(worst / scale < 0.02, "worst |numeric - analytic| \(worst), scale \(scale)")
    }

    /// The gradient is added to what the buffer holds; reconstructions equal to their targets cost 0
    /// and push nowhere; the value scales with the weight.
    @Test func addsToTheGradientAndVanishesAtTheTarget() throws {
        let (loss, logits, targets) = try setting()
        var fresh = [Float](repeating: 0, count: 128), offset = [Float](repeating: 1, count: 128)
        _ = fresh.withUnsafeMutableBufferPointer { value(loss, logits, targets, gradient: $0.baseAddress!) }
        _ = offset.withUnsafeMutableBufferPointer { value(loss, logits, targets, gradient: $0.baseAddress!) }
        #expect(zip(fresh, offset).allSatisfy { abs($0 + 1 - $1) < 1e-6 })

        let exact = logits.map { sigmoid($0) }
        var zero = [Float](repeating: 0, count: 128)
        let atTarget = zero.withUnsafeMutableBufferPointer { value(loss, logits, exact, gradient: $0.baseAddress!) }
        #expect(atTarget < 1e-9 && zero.allSatisfy { abs($0) < 1e-6 })

        // With imageCount 1 only the first image counts: the second one's logits get no gradient, and
        // the value is the full loss of the first image alone.
        let first = PerceptualLoss(network: loss.network, weight: 0.7, imageCount: 1)
        var partial = [Float](repeating: 0, count: 128)
        let partialValue = partial.withUnsafeMutableBufferPointer { value(first, logits, targets, gradient: $0.baseAddress!) }
        #expect(partial[64...].allSatisfy { $0 == 0 } && partial[..<64].contains { $0 != 0 })
        #expect(partialValue > 0 && abs(partialValue - value(first, logits, targets)) < 1e-12)

        let doubled = PerceptualLoss(network: loss.network, weight: 1.4)
        #expect(abs(value(doubled, logits, targets) - 2 * value(loss, logits, targets)) < 1e-9 * value(loss, logits, targets) + 1e-12)
    }

    /// Remembered targets give the same loss and gradient as computing their features each step,
    /// whether all, some or none of a batch's targets are remembered.
    @Test func rememberedTargetsGiveTheSameLoss() throws {
        let (loss, logits, targets) = try setting()
        var plainGradient = [Float](repeating: 0, count: 128)
        let plain = plainGradient.withUnsafeMutableBufferPointer { value(loss, logits, targets, gradient: $0.baseAddress!) }
        for remembered in [[0, 1], [1], []] {
            let cached = PerceptualLoss(network: loss.network, weight: 0.7)
            let rows = remembered.flatMap { Array(targets[($0 * 64)..<($0 * 64 + 64)]) }
            cached.rememberTargets(Tensor(shape: [remembered.count, 1, 8, 8], scalars: rows))
            var gradient = [Float](repeating: 0, count: 128)
            let cachedValue = gradient.withUnsafeMutableBufferPointer { value(cached, logits, targets, gradient: $0.baseAddress!) }
            #expect(abs(cachedValue - plain) <= 1e-5 * plain, "remembered \(remembered)")
            #expect(zip(gradient, plainGradient).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }, "remembered \(remembered)")
        }
    }

    /// The frozen network only passes gradients through: its own gradient buffer is never written
    /// (the layers skip dW, db, dγ, dβ), and skipping them does not change ∂ℓ/∂z.
    @Test func frozenNetworkGradientsAreNotComputed() throws {
        let (loss, logits, targets) = try setting()
        let count = loss.network.store.gradients.count
        loss.network.store.gradients = [Float](repeating: 7, count: count)
        var gradient = [Float](repeating: 0, count: 128)
        _ = gradient.withUnsafeMutableBufferPointer { value(loss, logits, targets, gradient: $0.baseAddress!) }
        #expect(loss.network.store.gradients.allSatisfy { $0 == 7 })
        #expect(gradient.contains { $0 != 0 })

        // The same backward pass with parameter gradients on gives the same input gradient.
        let network = loss.network, n = 2
        var z = logits.map { sigmoid($0) }
        let (withParameters, withoutParameters) = z.withUnsafeMutableBufferPointer { zp -> ([Float], [Float]) in
            let x = Activation(shape: [n, 1, 8, 8], pointer: zp.baseAddress!)
            func inputGradient(parameters: Bool) -> [Float] {
                network.store.withContext(.inference) { frozen in
                    var context = frozen
                    context.needsParameterGradients = parameters
                    let features = network.body.forward(x, context)
                    var ones = [Float](repeating: 1, count: features.count)
                    return ones.withUnsafeMutableBufferPointer { op in
                        let dx = network.body.backward(Activation(shape: features.shape, pointer: op.baseAddress!), context)
                        return Array(UnsafeBufferPointer(start: dx.pointer, count: dx.count))
                    }
                }
            }
            return (inputGradient(parameters: true), inputGradient(parameters: false))
        }
        #expect(withParameters == withoutParameters)
        #expect(network.store.gradients.contains { $0 != 7 })
    }
}

@Suite struct ImageAugmentationTests {
    /// One bright pixel: with flips always and no shift it lands on its mirror; with shifts it moves
    /// by at most the maximum in each axis and stays one pixel when far from the border; no change
    /// at all leaves the image alone; the same generator state gives the same images.
    @Test func flipsAndShiftsMovePixels() {
        var image = [Float](repeating: 0, count: 2 * 100)
        image[3 * 10 + 2] = 1        // image 0: (y 3, x 2)
        image[100 + 5 * 10 + 5] = 0.5 // image 1: (5, 5)
        var mirrored = image
        var rng = SeededGenerator(seed: 1)
        mirrored.withUnsafeMutableBufferPointer {
            ImageAugmentation(flipProbability: 1, maximumShift: 0).apply($0.baseAddress!, count: 2, shape: [1, 10, 10], using: &rng)
        }
        #expect(mirrored[3 * 10 + 7] == 1 && mirrored[100 + 5 * 10 + 4] == 0.5 && mirrored.filter { $0 != 0 }.count == 2)

        var same = image
        same.withUnsafeMutableBufferPointer {
            ImageAugmentation(flipProbability: 0, maximumShift: 0).apply($0.baseAddress!, count: 2, shape: [1, 10, 10], using: &rng)
        }
        #expect(same == image)

        for seed in 0..<20 as Range<UInt64> {
            var shifted = image, again = image
            var a = SeededGenerator(seed: seed), b = SeededGenerator(seed: seed)
            shifted.withUnsafeMutableBufferPointer {
                ImageAugmentation(flipProbability: 0, maximumShift: 2).apply($0.baseAddress!, count: 2, shape: [1, 10, 10], using: &a)
            }
            again.withUnsafeMutableBufferPointer {
                ImageAugmentation(flipProbability: 0, maximumShift: 2).apply($0.baseAddress!, count: 2, shape: [1, 10, 10], using: &b)
            }
            #expect(shifted == again)
            let lit = (0..<100).filter { shifted[100 + $0] != 0 }
            #expect(lit.count == 1 && shifted[100 + lit[0]] == 0.5)
            #expect(abs(lit[0] / 10 - 5) <= 2 && abs(lit[0] % 10 - 5) <= 2)
        }
    }
}

@Suite struct TrainerConfigurationCodingTests {
    /// `perceptualWeight` survives a round trip, and files written before it existed load with 0.
    @Test func perceptualWeightRoundTripsAndDefaultsToZero() throws {
        let configuration = AutoencoderTrainer.Configuration(epochs: 3, seed: 5, perceptualWeight: 0.25)
        let decoded = try JSONDecoder().decode(AutoencoderTrainer.Configuration.self, from: JSONEncoder().encode(configuration))
        #expect(decoded == configuration)
        var object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(configuration)) as! [String: Any]
        object["perceptualWeight"] = nil
        let older = try JSONDecoder().decode(AutoencoderTrainer.Configuration.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(older.perceptualWeight == 0 && older.epochs == 3 && older.seed == 5)
    }

    /// An autoencoder trained with the perceptual term moves its weights differently from one without
    /// (the term reaches the gradients), and its loss records include the term.
    @Test func perceptualTermReachesTraining() throws {
        let images = Tensor(shape: [32, 1, 8, 8], scalars: (0..<(32 * 64)).map { Float(($0 * 37) % 101) / 100 })
        func trained(_ weight: Double) throws -> (parameters: [Float], loss: Double) {
            let model = try Autoencoder(architecture: .mlp, imageShape: [1, 8, 8], latentDimension: 3, seed: 1)
            if weight > 0 {
                let network = try FeatureClassifier(configuration: .init(imageShape: [1, 8, 8], classCount: 2, baseWidth: 2, featureCount: 6), seed: 2)
                model.perceptualLoss = PerceptualLoss(network: network, weight: weight)
            }
            let trainer = AutoencoderTrainer(model: model, configuration: .init(epochs: 1, batchSize: 16, seed: 1, perceptualWeight: weight))
            let loss = trainer.trainEpoch(images)
            return (model.store.parameters, loss.total - loss.reconstruction)
        }
        let plain = try trained(0), perceptual = try trained(5)
        #expect(plain.loss == 0 && perceptual.loss > 0)
        #expect(plain.parameters != perceptual.parameters)
    }
}

@Suite struct StoredScalarCountTests {
    /// The count computed from the configuration equals what building the model allocates, for every
    /// architecture and kind; absurd sizes saturate instead of trapping.
    @Test(arguments: [
        AutoencoderConfiguration(architecture: .mlp, imageShape: [1, 28, 28], latentDimension: 5),
        AutoencoderConfiguration(architecture: .conv, imageShape: [1, 28, 28], latentDimension: 7, baseWidth: 4),
        AutoencoderConfiguration(architecture: .conv, imageShape: [3, 64, 64], latentDimension: 6, baseWidth: 2),
        AutoencoderConfiguration(architecture: .conv, imageShape: [1, 28, 28], latentDimension: 3, baseWidth: 4, kind: .vae),
    ])
    func countMatchesTheBuiltModel(_ configuration: AutoencoderConfiguration) throws {
        let model = try makeAutoencoderModel(configuration)
        #expect(configuration.storedScalarCount == model.store.parameters.count + model.store.statistics.count)
    }

    @Test func absurdShapesAreRefusedOrSaturate() throws {
        let huge = AutoencoderConfiguration(architecture: .mlp, imageShape: [1, 100_000, 100_000], latentDimension: 8)
        #expect(throws: NeuralNetError.self) { try huge.validate() }
        let wide = AutoencoderConfiguration(architecture: .conv, imageShape: [1, 28, 28], latentDimension: 65536, baseWidth: 4096)
        try wide.validate()
        #expect(wide.storedScalarCount > 1 << 34)
    }
}
