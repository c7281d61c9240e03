import Foundation

/// Curves against a common x axis (loss per epoch, marginal error per solver step) with a
/// legend, a title, axis labels, nice ticks and an optional logarithmic y axis.
///
/// Rules for awkward values:
/// - non-finite x or y (NaN, ±∞) are skipped and break the curve there;
/// - on a logarithmic y axis, y ≤ 0 is drawn at `logarithmicFloor()`: the given `yRange`'s
///   lower bound if any, else a tenth of the smallest positive y among all series and reference
///   lines (1 when there is none). Such points are clamped, not dropped, so a curve that
///   reaches 0 (an error that vanished) visibly runs to the bottom of the plot.
public struct LinePlot {
    /// One curve: y[i] plotted at x[i], joined in order.
    public struct Series {
        public var x: [Double]
        public var y: [Double]
        public var label: String
        public var color: Color
        public var lineWidth: Double
        /// A mark at each point, or none.
        public var marker: Marker?
    }

    /// A horizontal dashed line at a fixed y (e.g. the solver tolerance).
    public struct ReferenceLine {
        public var y: Double
        public var label: String
        public var color: Color
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var width: Int
    public var height: Int
    /// Pixel size of tick, label and legend text; the title is twice as big.
    public var textScale: Int
    public var yScale: AxisScale
    /// Data shown along x; nil spans the data exactly.
    public var xRange: ClosedRange<Double>?
    /// Data shown along y; nil spans the data widened by 5% (of the log span on a log axis).
    public var yRange: ClosedRange<Double>?
    public var showsGrid: Bool
    public var legendPosition: LegendPosition
    public var series: [Series] = []
    public var referenceLines: [ReferenceLine] = []

    public init(title: String = "", xLabel: String = "", yLabel: String = "", width: Int = 640, height: Int = 480,
                yScale: AxisScale = .linear, xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil,
                showsGrid: Bool = true, legendPosition: LegendPosition = .automatic) {
        precondition(width >= 64 && height >= 64, "LinePlot: image must be at least 64×64, got \(width)×\(height)")
        precondition(yScale == .linear || (yRange?.lowerBound ?? 1) > 0,
                     "LinePlot: a logarithmic y range must be positive, got \(String(describing: yRange))")
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.width = width
        self.height = height
        self.textScale = max(1, min(width, height) / 640)
        self.yScale = yScale
        self.xRange = xRange
        self.yRange = yRange
        self.showsGrid = showsGrid
        self.legendPosition = legendPosition
    }

    /// Adds a curve. `x` defaults to 0, 1, 2, …; `color` to the next palette colour.
    public mutating func add(y: [Double], x: [Double]? = nil, label: String = "", color: Color? = nil,
                             lineWidth: Double = 2, marker: Marker? = nil) {
        let xs = x ?? y.indices.map(Double.init)
        precondition(xs.count == y.count, "LinePlot.add: \(xs.count) x values for \(y.count) y values")
        series.append(Series(x: xs, y: y, label: label, color: color ?? Palette.color(series.count),
                             lineWidth: lineWidth, marker: marker))
    }

    /// Adds a horizontal dashed reference line.
    public mutating func addReferenceLine(y: Double, label: String = "", color: Color = Color(grey: 110)) {
        referenceLines.append(ReferenceLine(y: y, label: label, color: color))
    }

    // MARK: Awkward values

    /// The value y ≤ 0 is drawn at on a logarithmic axis (see the type's rules); nil on a linear axis.
    public func logarithmicFloor() -> Double? {
        guard yScale == .logarithmic else { return nil }
        if let yRange { return yRange.lowerBound }
        let positive = (series.flatMap(\.y) + referenceLines.map(\.y)).filter { $0 > 0 && $0.isFinite }
        return (positive.min() ?? 10) / 10
    }

    /// The y a value is drawn at: itself, the logarithmic floor for y ≤ 0 on a log axis, or nil
    /// (not drawn) when not finite.
    public func plottedY(_ y: Double) -> Double? {
        guard y.isFinite else { return nil }
        if let floor = logarithmicFloor(), y <= 0 { return floor }
        return y
    }

    // MARK: Layout

    public var axes: PlotAxes {
        PlotAxes(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel, textScale: textScale,
                 yScale: yScale, showsGrid: showsGrid)
    }

    func ranges() -> (x: ClosedRange<Double>, y: ClosedRange<Double>) {
        let xs = series.flatMap(\.x)
        let x = xRange ?? paddedRange(xs, margin: 0)
        if let yRange { return (x, yRange) }
        let ys = (series.flatMap(\.y) + referenceLines.map(\.y)).compactMap(plottedY)
        switch yScale {
        case .linear:
            return (x, paddedRange(ys, margin: 0.05))
        case .logarithmic:
            let logs = paddedRange(ys.map(log10), margin: 0.05)
            // At least a tenth of a decade, so a flat curve still gets an axis.
            let centre = (logs.lowerBound + logs.upperBound) / 2, half = max(0.05, (logs.upperBound - logs.lowerBound) / 2)
            return (x, pow(10, centre - half)...pow(10, centre + half))
        }
    }

    func layout() -> PlotAxes.Layout {
        let (x, y) = ranges()
        return axes.layout(xRange: x, yRange: y)
    }

    /// The map from data to pixels that `render()` uses.
    public func transform() -> PlotTransform { layout().transform }

    // MARK: Rendering

    /// Draws the plot into a `width`×`height` RGB image.
    public func render() -> RasterImage {
        var canvas = Canvas(width: width, height: height, background: .white)
        let axes = self.axes, layout = self.layout(), transform = layout.transform, area = transform.area
        axes.fillArea(on: &canvas, layout: layout)
        axes.drawGrid(on: &canvas, layout: layout)
        canvas.clip = area
        var occupied: [SIMD2<Double>] = []
        for line in referenceLines {
            guard let y = plottedY(line.y) else { continue }
            let row = transform.pixelY(y)
            let dash = 6.0 * Double(textScale)
            var x = Double(area.x)
            while x < Double(area.maxX) {
                canvas.drawLine(from: SIMD2(x, row), to: SIMD2(min(x + dash, Double(area.maxX)), row),
                                color: line.color, lineWidth: 1.5)
                x += 2 * dash
            }
            occupied += stride(from: Double(area.x), to: Double(area.maxX), by: 4).map { SIMD2($0, row) }
        }
        for curve in series {
            var previous: SIMD2<Double>?
            for (x, y) in zip(curve.x, curve.y) {
                guard x.isFinite, let plotted = plottedY(y) else { previous = nil; continue }
                let p = transform.pixel(SIMD2(x, plotted))
                if let previous {
                    canvas.drawLine(from: previous, to: p, color: curve.color, lineWidth: curve.lineWidth)
                    let steps = max(1, Int((((p - previous) * (p - previous)).sum().squareRoot() / 4)))
                    for step in 0..<steps { occupied.append(previous + (p - previous) * (Double(step) / Double(steps))) }
                }
                occupied.append(p)
                previous = p
            }
            if let marker = curve.marker {
                for (x, y) in zip(curve.x, curve.y) {
                    guard x.isFinite, let plotted = plottedY(y) else { continue }
                    canvas.drawMarker(marker, center: transform.pixel(SIMD2(x, plotted)), size: 3 * curve.lineWidth + 2,
                                      color: curve.color)
                }
            }
        }
        canvas.clip = canvas.bounds
        axes.drawFrame(on: &canvas, layout: layout)
        let entries = series.map {
            LegendEntry(label: $0.label, color: $0.color, symbol: .line(width: $0.lineWidth))
        } + referenceLines.map { LegendEntry(label: $0.label, color: $0.color, symbol: .line(width: 1.5)) }
        canvas.clip = area
        axes.drawLegend(on: &canvas, entries: entries, position: legendPosition, area: area, occupied: occupied)
        return canvas.image
    }
}
