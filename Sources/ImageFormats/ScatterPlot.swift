import TensorModule

/// A 2-D scatter plot: point sets with colours and labels, optional line segments (transport
/// lines from sources to their targets) and an optional coloured background (transport cells),
/// with axes, ticks, a legend and a title. Build the value, then `render()`.
///
/// Drawing order, back to front: background, grid, segments, point sets in the order added,
/// frame and labels, legend. Data outside the ranges is clipped at the frame.
///
/// ```swift
/// var plot = ScatterPlot(title: "Transport map", xLabel: "z1", yLabel: "z2")
/// plot.addCells { x, y in cells.index(of: [x, y]) }
/// plot.addSegments(from: sources, to: targets, label: "T(x) - x")
/// plot.add(points: targets, label: "targets", marker: .cross)
/// let png = try PNG.encode(plot.render())
/// ```
public struct ScatterPlot {
    /// One set of points drawn with one colour and marker.
    public struct PointSet {
        public var points: [SIMD2<Double>]
        public var label: String
        public var color: Color
        public var marker: Marker
        /// Marker diameter in pixels.
        public var size: Double
        public var opacity: Double
    }

    /// Segments `starts[i] → ends[i]` drawn with one colour (e.g. samples to their transport targets).
    public struct SegmentSet {
        public var starts: [SIMD2<Double>]
        public var ends: [SIMD2<Double>]
        public var label: String
        public var color: Color
        public var lineWidth: Double
        public var opacity: Double
    }

    /// How the plot area behind the data is coloured.
    public enum Background {
        /// Cells by index: each pixel of the plot area gets `palette(index)` lightened towards
        /// white by `1 - strength`; pixels whose right or lower neighbour has another index are
        /// boundary pixels, drawn in `boundaryColor`. Negative indices leave the pixel white.
        /// The closure receives the data coordinates of the centres of one or more pixels and
        /// returns one index per point (a batch, so callers can use a vectorised argmax).
        case cells(indices: ([SIMD2<Double>]) -> [Int], palette: (Int) -> Color, strength: Double,
                   boundaryColor: Color?)
        /// Any colour per pixel, from the data coordinates of the pixel centres (a heat map).
        case colors(([SIMD2<Double>]) -> [Color])
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// Size of the whole image in pixels.
    public var width: Int
    public var height: Int
    /// Size of the tick, label and legend text (the font's pixel size); the title is twice as big.
    public var textScale: Int
    /// Data shown along x; nil chooses the extent of the data widened by 5% on each side.
    public var xRange: ClosedRange<Double>?
    public var yRange: ClosedRange<Double>?
    /// When true, the ranges (given or automatic) are widened about their centres so one data
    /// unit spans as many pixels along x as along y: circles stay round, cells keep their angles.
    public var preservesAspectRatio: Bool
    public var showsGrid: Bool
    public var legendPosition: LegendPosition
    public var pointSets: [PointSet] = []
    public var segmentSets: [SegmentSet] = []
    public var background: Background?

    public init(title: String = "", xLabel: String = "", yLabel: String = "", width: Int = 640, height: Int = 640,
                xRange: ClosedRange<Double>? = nil, yRange: ClosedRange<Double>? = nil,
                preservesAspectRatio: Bool = true, showsGrid: Bool = false,
                legendPosition: LegendPosition = .automatic) {
        precondition(width >= 64 && height >= 64, "ScatterPlot: image must be at least 64×64, got \(width)×\(height)")
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.width = width
        self.height = height
        self.textScale = max(1, min(width, height) / 640)
        self.xRange = xRange
        self.yRange = yRange
        self.preservesAspectRatio = preservesAspectRatio
        self.showsGrid = showsGrid
        self.legendPosition = legendPosition
    }

    // MARK: Adding data

    /// Adds a point set. `color` defaults to the next palette colour (by the number of sets so
    /// far); `size` (marker diameter in pixels) defaults to 6, 4 or 2.5 for ≤ 500, ≤ 5000 or more points.
    public mutating func add(points: [SIMD2<Double>], label: String = "", color: Color? = nil,
                             marker: Marker = .disc, size: Double? = nil, opacity: Double = 1) {
        let automaticSize = points.count <= 500 ? 6.0 : points.count <= 5000 ? 4.0 : 2.5
        pointSets.append(PointSet(points: points, label: label, color: color ?? Palette.color(pointSets.count),
                                  marker: marker, size: size ?? automaticSize, opacity: opacity))
    }

    /// Adds the rows of an [n,2] tensor as a point set (see `add(points:)`).
    public mutating func add(points tensor: Tensor, label: String = "", color: Color? = nil,
                             marker: Marker = .disc, size: Double? = nil, opacity: Double = 1) {
        add(points: ScatterPlot.points(tensor), label: label, color: color, marker: marker, size: size, opacity: opacity)
    }

    /// Adds segments from `starts[i]` to `ends[i]` (equal counts).
    public mutating func addSegments(from starts: [SIMD2<Double>], to ends: [SIMD2<Double>], label: String = "",
                                     color: Color = Color(grey: 90), lineWidth: Double = 1, opacity: Double = 0.6) {
        precondition(starts.count == ends.count, "ScatterPlot.addSegments: \(starts.count) starts, \(ends.count) ends")
        segmentSets.append(SegmentSet(starts: starts, ends: ends, label: label, color: color,
                                      lineWidth: lineWidth, opacity: opacity))
    }

    /// Adds segments between the rows of two [n,2] tensors.
    public mutating func addSegments(from starts: Tensor, to ends: Tensor, label: String = "",
                                     color: Color = Color(grey: 90), lineWidth: Double = 1, opacity: Double = 0.6) {
        addSegments(from: ScatterPlot.points(starts), to: ScatterPlot.points(ends), label: label, color: color,
                    lineWidth: lineWidth, opacity: opacity)
    }

    /// Colours the plot area by cell: `cellIndex(x, y)` for the data point at each pixel centre
    /// (see `Background.cells`). `strength` is how much palette colour shows (0 white, 1 full).
    public mutating func addCells(strength: Double = 0.35, boundaryColor: Color? = Color(grey: 70),
                                  palette: @escaping (Int) -> Color = Palette.color,
                                  cellIndex: @escaping (Double, Double) -> Int) {
        background = .cells(indices: { points in points.map { cellIndex($0.x, $0.y) } }, palette: palette,
                            strength: strength, boundaryColor: boundaryColor)
    }

    /// As `addCells(cellIndex:)`, with a closure answering many points at once.
    public mutating func addCells(strength: Double = 0.35, boundaryColor: Color? = Color(grey: 70),
                                  palette: @escaping (Int) -> Color = Palette.color,
                                  cellIndices: @escaping ([SIMD2<Double>]) -> [Int]) {
        background = .cells(indices: cellIndices, palette: palette, strength: strength, boundaryColor: boundaryColor)
    }

    static func points(_ tensor: Tensor) -> [SIMD2<Double>] {
        precondition(tensor.rank == 2 && tensor.shape[1] == 2, "ScatterPlot: points must be [n,2], got \(tensor.shape)")
        return (0..<tensor.shape[0]).map { SIMD2(Double(tensor.scalars[2 * $0]), Double(tensor.scalars[2 * $0 + 1])) }
    }

    // MARK: Layout

    public var axes: PlotAxes {
        PlotAxes(width: width, height: height, title: title, xLabel: xLabel, yLabel: yLabel, textScale: textScale,
                 showsGrid: showsGrid)
    }

    /// The ranges before any aspect correction: given, or the data's extent plus 5%.
    func baseRanges() -> (x: ClosedRange<Double>, y: ClosedRange<Double>) {
        var all: [SIMD2<Double>] = pointSets.flatMap(\.points)
        for set in segmentSets { all += set.starts; all += set.ends }
        return (xRange ?? paddedRange(all.map(\.x), margin: 0.05), yRange ?? paddedRange(all.map(\.y), margin: 0.05))
    }

    /// The laid-out axes: where the plot area is and which data it shows.
    func layout() -> PlotAxes.Layout {
        let axes = self.axes
        let base = baseRanges()
        var layout = axes.layout(xRange: base.x, yRange: base.y)
        guard preservesAspectRatio else { return layout }
        // Widening the ranges changes the tick labels, which may move the area a little: repeat
        // until the area settles (it does after one or two rounds).
        for _ in 0..<3 {
            let ranges = ScatterPlot.squared(base, area: layout.transform.area)
            let next = axes.layout(xRange: ranges.x, yRange: ranges.y)
            if next.transform.area == layout.transform.area { return next }
            layout = next
        }
        // Not settled: keep the last area and square the ranges for it.
        let ranges = ScatterPlot.squared(base, area: layout.transform.area)
        layout.transform.xRange = ranges.x
        layout.transform.yRange = ranges.y
        let counts = axes.targetTickCounts(area: layout.transform.area)
        layout.xTicks = AxisTicks.linear(in: ranges.x, targetCount: counts.x)
        layout.xTickLabels = AxisTicks.labels(for: layout.xTicks)
        layout.yTicks = AxisTicks.linear(in: ranges.y, targetCount: counts.y)
        layout.yTickLabels = AxisTicks.labels(for: layout.yTicks)
        return layout
    }

    /// `base` widened about its centre so one data unit spans equal pixels along x and y in `area`.
    static func squared(_ base: (x: ClosedRange<Double>, y: ClosedRange<Double>),
                        area: PixelRectangle) -> (x: ClosedRange<Double>, y: ClosedRange<Double>) {
        let xSpan = base.x.upperBound - base.x.lowerBound, ySpan = base.y.upperBound - base.y.lowerBound
        let unitsPerPixel = max(xSpan / Double(area.width), ySpan / Double(area.height))
        func widened(_ range: ClosedRange<Double>, pixels: Int) -> ClosedRange<Double> {
            let centre = (range.lowerBound + range.upperBound) / 2, half = unitsPerPixel * Double(pixels) / 2
            return (centre - half)...(centre + half)
        }
        return (widened(base.x, pixels: area.width), widened(base.y, pixels: area.height))
    }

    /// The map from data to pixels that `render()` uses.
    public func transform() -> PlotTransform { layout().transform }

    // MARK: Rendering

    /// Draws the plot into a `width`×`height` RGB image.
    public func render() -> RasterImage {
        var canvas = Canvas(width: width, height: height, background: .white)
        draw(on: &canvas)
        return canvas.image
    }

    /// Draws the plot onto the top-left `width`×`height` of a canvas (e.g. to add annotations).
    public func draw(on canvas: inout Canvas) {
        precondition(canvas.width >= width && canvas.height >= height,
                     "ScatterPlot.draw: canvas \(canvas.width)×\(canvas.height) smaller than the plot \(width)×\(height)")
        let axes = self.axes
        let layout = self.layout()
        let transform = layout.transform, area = transform.area
        axes.fillArea(on: &canvas, layout: layout)
        canvas.clip = area
        if let background { drawBackground(background, on: &canvas, transform: transform) }
        axes.drawGrid(on: &canvas, layout: layout)
        for set in segmentSets {
            for (start, end) in zip(set.starts, set.ends) {
                canvas.drawLine(from: transform.pixel(start), to: transform.pixel(end), color: set.color,
                                lineWidth: set.lineWidth, opacity: set.opacity)
            }
        }
        var occupied: [SIMD2<Double>] = []
        for set in pointSets {
            for point in set.points {
                let p = transform.pixel(point)
                canvas.drawMarker(set.marker, center: p, size: set.size, color: set.color, opacity: set.opacity)
                occupied.append(p)
            }
        }
        for set in segmentSets {
            for (start, end) in zip(set.starts, set.ends) {
                occupied.append((transform.pixel(start) + transform.pixel(end)) / 2)
            }
        }
        canvas.clip = canvas.bounds
        axes.drawFrame(on: &canvas, layout: layout)
        let entries = segmentSets.map { LegendEntry(label: $0.label, color: $0.color, symbol: .line(width: max(2, $0.lineWidth))) }
            + pointSets.map { LegendEntry(label: $0.label, color: $0.color, symbol: .marker($0.marker)) }
        canvas.clip = area
        axes.drawLegend(on: &canvas, entries: entries, position: legendPosition, area: area, occupied: occupied)
        canvas.clip = canvas.bounds
    }

    private func drawBackground(_ background: Background, on canvas: inout Canvas, transform: PlotTransform) {
        let area = transform.area
        guard area.width > 0, area.height > 0 else { return }
        var centres: [SIMD2<Double>] = []
        centres.reserveCapacity(area.width * area.height)
        for y in area.y..<area.maxY {
            for x in area.x..<area.maxX {
                centres.append(transform.dataPoint(atPixel: SIMD2(Double(x) + 0.5, Double(y) + 0.5)))
            }
        }
        switch background {
        case let .colors(colorsAt):
            let colors = colorsAt(centres)
            precondition(colors.count == centres.count,
                         "ScatterPlot: background closure returned \(colors.count) colours for \(centres.count) pixels")
            for (offset, color) in colors.enumerated() {
                canvas.setPixel(x: area.x + offset % area.width, y: area.y + offset / area.width, color)
            }
        case let .cells(indicesAt, palette, strength, boundaryColor):
            let indices = indicesAt(centres)
            precondition(indices.count == centres.count,
                         "ScatterPlot: cell closure returned \(indices.count) indices for \(centres.count) pixels")
            var colorCache: [Int: Color] = [:]
            for (offset, index) in indices.enumerated() where index >= 0 {
                let color: Color
                if let cached = colorCache[index] {
                    color = cached
                } else {
                    color = palette(index).lightened(by: 1 - strength)
                    colorCache[index] = color
                }
                canvas.setPixel(x: area.x + offset % area.width, y: area.y + offset / area.width, color)
            }
            guard let boundaryColor else { return }
            for row in 0..<area.height {
                for column in 0..<area.width {
                    let offset = row * area.width + column, index = indices[offset]
                    let right = column + 1 < area.width ? indices[offset + 1] : index
                    let below = row + 1 < area.height ? indices[offset + area.width] : index
                    if right != index || below != index {
                        canvas.blendPixel(x: area.x + column, y: area.y + row, boundaryColor, opacity: 0.85)
                    }
                }
            }
        }
    }

    /// Renders each plot and places them side by side, `columns` per row (all in one row when nil).
    public static func panels(_ plots: [ScatterPlot], columns: Int? = nil, spacing: Int = 0) -> RasterImage {
        ImageGrid.panels(plots.map { $0.render() }, columns: columns, spacing: spacing)
    }
}
