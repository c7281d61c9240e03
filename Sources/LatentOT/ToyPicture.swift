import TensorModule
import Transport
import ImageFormats

/// The toy's picture: real against generated samples, and the power cells of the solved potential
/// in the source square with transport lines from source points to their targets.
enum ToyPicture {
    /// - Parameter targetGroups: a colour group per target (its mixture mode), or nil to colour each cell;
    ///   cell boundaries are drawn where the group changes, so with modes they trace the singular set of u_h.
    static func render(toy: String, real: [Float], generated: [Float], samplerName: String, map: TransportMap,
                       targetGroups: [Int]?, seed: UInt64) -> RasterImage {
        func points(_ flat: [Float]) -> [SIMD2<Double>] {
            stride(from: 0, to: flat.count, by: 2).map { SIMD2(Double(flat[$0]), Double(flat[$0 + 1])) }
        }
        var samples = ScatterPlot(title: "\(toy): real vs generated (\(samplerName))", xLabel: "x", yLabel: "y")
        samples.add(points: points(real), label: "real", color: Palette.color(0), size: 2.5, opacity: 0.6)
        samples.add(points: points(generated), label: "generated", color: Palette.color(1), size: 2.5, opacity: 0.6)

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
        let ends = cellsOfSources.map { SIMD2(Double(map.targets[2 * Int($0)]), Double(map.targets[2 * Int($0) + 1])) }
        cells.addSegments(from: points(sources), to: ends, label: "x -> T(x)", color: Color(grey: 60), lineWidth: 0.8, opacity: 0.5)
        cells.add(points: points(map.targets), label: "targets y_i", color: Palette.color(3), size: 2)
        return ScatterPlot.panels([samples, cells])
    }
}
