import TensorModule
import Transport
import ImageFormats

/// Walks between two source points through the explicit map and decodes the path: the map is
/// piecewise constant and jumps from one training code to the next, and between clusters it jumps
/// across the gap instead of passing through blurry in-between codes (what the naive straight line
/// between the two end codes, shown beneath for contrast, does).
public struct Interpolation {
    public let model: GenerativeModel

    public init(model: GenerativeModel) { self.model = model }

    public struct Path {
        /// Decoded T(x(t)) for t = 0 ... 1.
        public var mapImages: Tensor
        /// Decoded (1-t)·y_a + t·y_b for the same t.
        public var straightImages: Tensor
        /// Index of the training code T(x(t)) at each step.
        public var cells: [Int32]
        /// Steps where the cell changes to a code farther than the median neighbour distance: jumps.
        public var jumps: [Int]
    }

    /// The path between two source points.
    public func path(from a: [Float], to b: [Float], steps: Int) -> Path {
        let d = model.transport.dimension
        precondition(a.count == d && b.count == d && steps >= 2, "Interpolation.path: endpoints of dimension \(d), steps ≥ 2")
        var points: [Float] = []
        for s in 0..<steps {
            let t = Float(s) / Float(steps - 1)
            for j in 0..<d { points.append((1 - t) * a[j] + t * b[j]) }
        }
        let map = model.transport.map()
        let cells = map.cellIndices(of: points)
        let codes = model.transport.codes
        var mapCodes: [Float] = [], straight: [Float] = []
        let first = Int(cells.first!), last = Int(cells.last!)
        for (s, cell) in cells.enumerated() {
            mapCodes += codes[(Int(cell) * d)..<((Int(cell) + 1) * d)]
            let t = Float(s) / Float(steps - 1)
            for j in 0..<d { straight.append((1 - t) * codes[first * d + j] + t * codes[last * d + j]) }
        }
        var distances: [Float] = []
        for s in 1..<steps {
            var squared: Float = 0
            for j in 0..<d { let e = mapCodes[s * d + j] - mapCodes[(s - 1) * d + j]; squared += e * e }
            distances.append(squared.squareRoot())
        }
        let moving = distances.filter { $0 > 0 }.sorted()
        let typical = moving.isEmpty ? 0 : moving[moving.count / 2]
        let jumps = distances.enumerated().filter { $0.element > 1.5 * typical && typical > 0 }.map { $0.offset + 1 }
        return Path(mapImages: model.decode(mapCodes),
                    straightImages: model.decode(straight),
                    cells: cells, jumps: jumps)
    }

    /// `pairs` paths between random source points, as one labelled strip image.
    public func strip(pairs: Int, steps: Int, seed: UInt64) -> (image: RasterImage, paths: [Path]) {
        var rng = SeededGenerator.stream(seed: seed, label: 0x1E7)
        let d = model.transport.dimension
        var rows: [Tensor] = [], labels: [String] = [], paths: [Path] = []
        for p in 0..<pairs {
            let ends = model.transport.source.points(count: 2, dimension: d, using: &rng)
            let path = self.path(from: Array(ends[0..<d]), to: Array(ends[d...]), steps: steps)
            rows.append(path.mapImages); labels.append("T(x(t)) \(p + 1)")
            rows.append(path.straightImages); labels.append("straight \(p + 1)")
            paths.append(path)
        }
        return (ImageGrid.make(rows: rows, labels: labels), paths)
    }
}
