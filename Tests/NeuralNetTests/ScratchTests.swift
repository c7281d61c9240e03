import Testing
import Foundation
import TensorModule
import NeuralNet

@Suite struct Scratch {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SCRATCH"] != nil)) func layerProfile() throws {
        BLAS.threadCount = 1
        let model = try Autoencoder(architecture: .conv, imageShape: [1, 28, 28], latentDimension: 32)
        var rng = SeededGenerator(seed: 1)
        var x = (0..<(128 * 784)).map { _ in rng.nextUnitFloat() }
        let layers = model.encoder.layers + model.decoder.layers
        var fwd = [Double](repeating: 0, count: layers.count), bwd = fwd
        let clock = ContinuousClock()
        let reps = 30
        x.withUnsafeMutableBufferPointer { xp in
            model.store.withContext(.training) { context in
                for rep in 0..<reps {
                    var a = Activation(shape: [128, 1, 28, 28], pointer: xp.baseAddress!)
                    var outs: [Activation] = []
                    for (i, l) in layers.enumerated() {
                        let t0 = clock.now
                        a = l.forward(a, context)
                        if rep > 0 { fwd[i] += (clock.now - t0) / .seconds(1) }
                        outs.append(a)
                    }
                    var g = a
                    for i in layers.indices.reversed() {
                        var c = context
                        c.needsInputGradient = i > 0
                        let t0 = clock.now
                        g = layers[i].backward(g, c)
                        if rep > 0 { bwd[i] += (clock.now - t0) / .seconds(1) }
                    }
                }
            }
        }
        var total = 0.0
        for (i, l) in layers.enumerated() {
            print(String(format: "SCRATCH %2d %-16@ fwd %6.2f ms bwd %6.2f ms", i, "\(type(of: l))" as NSString, fwd[i] / Double(reps - 1) * 1000, bwd[i] / Double(reps - 1) * 1000))
            total += fwd[i] + bwd[i]
        }
        print("SCRATCH total \(total / Double(reps - 1) * 1000) ms")
    }
}
