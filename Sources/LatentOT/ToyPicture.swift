import TensorModule
import Transport
import ImageFormats

/// The toy's picture: real against generated samples, and the power cells of the solved potential
/// in the source square with transport lines from source points to their targets (for a baseline:
/// its map's lines, or nothing).
enum ToyPicture {
    static func points(_ flat: [Float]) -> [SIMD2<Double>] {
        stride(from: 0, to: flat.count, by: 2).map { SIMD2(Double(flat[$0]), Double(flat[$0 + 1])) }
    }

    /// Real (fresh) samples and generated ones, in the toy's coordinates.
    static func samplesPanel(title: String, real: [Float], generated: [Float]) -> ScatterPlot {
        var samples = ScatterPlot(title: title, xLabel: "x", yLabel: "y")
        samples.add(points: points(real), label: "real", color: Palette.color(0), size: 2.5, opacity: 0.6)
        samples.add(points: points(generated), label: "generated", color: Palette.color(1), size: 2.5, opacity: 0.6)
        return samples
    }

    /// - Parameter targetGroups: a colour group per target (its mixture mode), or nil to colour each cell;
    ///   cell boundaries are drawn where the group changes, so with modes they trace the singular set of u_h.
    static func render(toy: String, real: [Float], generated: [Float], samplerName: String, map: TransportMap,
                       targetGroups: [Int]?, seed: UInt64) -> RasterImage {
        let samples = samplesPanel(title: "\(toy): real vs generated (\(samplerName))", real: real, generated: generated)
        let title = targetGroups == nil ? "power cells and transport T(x)" : "cells grouped by mode, and T(x)"
        var cells = ScatterPlot(title: title, xLabel: "source x1", yLabel: "source x2", xRange: -1...1, yRange: -1...1)
        cells.addCells { pixels in
            let flat = pixels.flatMap { [Float($0.x), Float($0.y)] }
            let indices = map.cellIndices(of: flat).map { Int($0) }
            return targetGroups.map { groups in indices.map { groups[$0] } } ?? indices
        }
        var generator = SeededGenerator.stream(seed: seed, label: 5)
        let sources = map.source.points(count: 300, dimension: 2, using: &generator)
        let cellsOfSources = map.cellIndices(of: sources)
        // Targets drawn in the source square's coordinates (the normalised codes).
        let ends = cellsOfSources.flatMap { map.targets[(2 * Int($0))..<(2 * Int($0) + 2)] }
        addTransportLines(to: &cells, from: sources, to: ends, targets: map.targets)
        return ScatterPlot.panels([samples, cells])
    }

    /// A baseline's picture: real against generated samples and, for a map (the neural potential),
    /// source points joined to their images T(x) over the targets, in the normalised coordinates the
    /// map was trained in: a continuous map draws lines into the gaps between the modes.
    static func render(toy: String, real: [Float], generated: [Float], generatorName: String,
                       transport: (sources: [Float], images: [Float], targets: [Float])?) -> RasterImage {
        let samples = samplesPanel(title: "\(toy): real vs \(generatorName)", real: real, generated: generated)
        guard let transport else { return samples.render() }
        var lines = ScatterPlot(title: "transport x -> T(x) of the \(generatorName)", xLabel: "source x1", yLabel: "source x2")
        addTransportLines(to: &lines, from: transport.sources, to: transport.images, targets: transport.targets)
        return ScatterPlot.panels([samples, lines])
    }

    /// Segments x → T(x) and the targets, flat rows of 2.
    static func addTransportLines(to plot: inout ScatterPlot, from sources: [Float], to images: [Float], targets: [Float]) {
        plot.addSegments(from: points(sources), to: points(images), label: "x -> T(x)", color: Color(grey: 60), lineWidth: 0.8, opacity: 0.5)
        plot.add(points: points(targets), label: "targets y_i", color: Palette.color(3), size: 2)
    }
}
