import Foundation
import TensorModule
import Transport
import Datasets
import ImageFormats

/// The solver's report (`report.json` of `transport solve`, `transport/report.json` of a model).
public struct TransportReport: Codable, Sendable {
    public var targetCount: Int
    public var dimension: Int
    public var source: SourceDistribution
    /// The method asked for (`automatic` by default).
    public var method: String
    /// The method that ran (`automatic` resolved, or a hand-over); nil in reports written before it existed.
    public var methodUsed: String?
    public var hasConverged: Bool
    public var stopReason: String
    public var iterations: Int
    public var solveSeconds: Double
    public var maxRelativeError: Double
    public var rmsRelativeError: Double
    public var meanRelativeError: Double
    public var emptyCells: Int
    /// Counting noise of the final evaluation, √(M/N): errors near it are as good as N points can show.
    public var noiseFloor: Double
    /// Fresh points of the final evaluation (0: exact cells, `exact-newton`).
    public var evaluationPointCount: Int
    public var tolerance: Tolerance
    public var normalization: CodeNormalization
    public var history: [SolverRecord]
}

/// A solved transport problem on disk: everything `transport sample` (and `sample`) needs.
/// Files: `codes.npy` (the targets as given, float32 M×d), `weights.npy` (only when not uniform),
/// `normalization.json`, `heights.npy` (float64, M, centred), `report.json`, `convergence.png`.
public struct TransportSolutionFiles {
    public static let codes = "codes.npy"
    public static let weights = "weights.npy"
    public static let normalization = "normalization.json"
    public static let heights = "heights.npy"
    public static let report = "report.json"
    public static let convergence = "convergence.png"

    public var codes: [Float]
    public var dimension: Int
    public var weights: [Double]?
    public var normalization: CodeNormalization
    public var heights: [Double]
    public var source: SourceDistribution

    public var targetCount: Int { heights.count }

    public init(codes: [Float], dimension: Int, weights: [Double]?, normalization: CodeNormalization, heights: [Double],
                source: SourceDistribution) {
        self.codes = codes
        self.dimension = dimension
        self.weights = weights
        self.normalization = normalization
        self.heights = heights
        self.source = source
    }

    /// The explicit map on the normalised codes.
    public func map() -> TransportMap {
        TransportMap(targets: normalization.apply(codes), dimension: dimension, heights: heights, source: source)
    }

    /// Writes the solution's files (and the report and its convergence plot). `heights.npy` marks a
    /// complete solution: an earlier one's is removed first and the new one written last, so a save
    /// that dies half-way leaves an incomplete folder (refused on load), never new codes beside old
    /// heights; an earlier solution's `weights.npy` goes when the new weights are uniform.
    /// - Parameter reportFile: the bytes of `report.json` when they are not `report`'s own encoding
    ///   (a report with more keys, such as a distributed solve's); it must decode as `report`.
    public func save(to store: ArtifactStore, prefix: String = "", report: TransportReport, reportFile: Data? = nil) throws {
        try store.remove(prefix + Self.heights)
        try store.write(NumpyArray(shape: [targetCount, dimension], floats: codes).encode(), named: prefix + Self.codes)
        if let weights {
            try store.write(NumpyArray(shape: [weights.count], storage: .float64(weights)).encode(), named: prefix + Self.weights)
        } else {
            try store.remove(prefix + Self.weights)
        }
        try store.writeJSON(normalization, named: prefix + Self.normalization)
        if let reportFile { try store.write(reportFile, named: prefix + Self.report) } else { try store.writeJSON(report, named: prefix + Self.report) }
        try store.write(PNG.encode(Self.convergencePlot(report.history)), named: prefix + Self.convergence)
        // Heights last: their presence marks a complete solution.
        try store.write(NumpyArray(shape: [heights.count], storage: .float64(heights)).encode(), named: prefix + Self.heights)
    }

    /// Loads and cross-checks a solution; every error names the file at fault.
    public static func load(from store: ArtifactStore, prefix: String = "") throws -> TransportSolutionFiles {
        func array(_ name: String) throws -> NumpyArray {
            let data = try store.require(prefix + name)
            do { return try NumpyArray.decode(data, source: store.describe(prefix + name)) } catch {
                throw LatentOTError.corruptFile(store.describe(prefix + name), reason: "\(error)")
            }
        }
        let codesArray = try array(Self.codes)
        guard codesArray.shape.count == 2, codesArray.shape[0] >= 1, codesArray.shape[1] >= 1 else {
            throw LatentOTError.corruptFile(store.describe(prefix + Self.codes), reason: "expected a 2-D array M×d, found shape \(codesArray.shape)")
        }
        let codes: [Float]
        do { codes = try codesArray.floatValues() } catch {
            throw LatentOTError.corruptFile(store.describe(prefix + Self.codes), reason: "\(error)")
        }
        let (m, d) = (codesArray.shape[0], codesArray.shape[1])
        let heightsArray = try array(Self.heights)
        let heights = heightsArray.doubleValues
        guard heightsArray.shape == [m] else {
            throw LatentOTError.corruptFile(store.describe(prefix + Self.heights),
                                            reason: "expected \(m) heights (one per code in \(Self.codes)), found shape \(heightsArray.shape)")
        }
        if let index = heights.firstIndex(where: { !$0.isFinite }) {
            throw LatentOTError.corruptFile(store.describe(prefix + Self.heights),
                                            reason: "height \(index) is \(heights[index]); every height must be finite")
        }
        let normalization = try store.readJSON(CodeNormalization.self, named: prefix + Self.normalization)
        guard normalization.dimension == d, normalization.scale.isFinite, normalization.scale > 0 else {
            throw LatentOTError.corruptFile(store.describe(prefix + Self.normalization),
                                            reason: "expected dimension \(d) and a positive scale, found dimension \(normalization.dimension), scale \(normalization.scale)")
        }
        let report = try store.readJSON(TransportReport.self, named: prefix + Self.report)
        var weights: [Double]? = nil
        if try store.read(prefix + Self.weights) != nil {
            let w = try array(Self.weights).doubleValues
            guard w.count == m else {
                throw LatentOTError.corruptFile(store.describe(prefix + Self.weights), reason: "expected \(m) weights, found \(w.count)")
            }
            weights = w
        }
        return TransportSolutionFiles(codes: codes, dimension: d, weights: weights, normalization: normalization,
                                      heights: heights, source: report.source)
    }

    /// Relative cell error (max and noise-corrected RMS, on fresh points) per step, log scale.
    public static func convergencePlot(_ history: [SolverRecord]) -> RasterImage {
        var plot = LinePlot(title: "semi-discrete OT: relative cell error", xLabel: "step", yLabel: "relative error")
        plot.yScale = .logarithmic
        let evaluated = history.filter { $0.evaluation != nil }
        let steps = evaluated.map { Double($0.step) }
        if !evaluated.isEmpty {
            plot.add(y: evaluated.map { $0.evaluation!.maxRelativeError }, x: steps, label: "max (fresh points)", marker: .disc)
            plot.add(y: evaluated.map { $0.evaluation!.rmsRelativeError }, x: steps, label: "rms, noise-corrected (fresh)", marker: .disc)
        }
        if !history.isEmpty {
            plot.add(y: history.map(\.maxRelativeError), x: history.map { Double($0.step) }, label: "max (step points)")
        }
        return plot.render()
    }
}
