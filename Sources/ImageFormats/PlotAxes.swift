/// Where a plot's legend goes: a corner inside the axes, the corner covering the fewest data
/// marks (`automatic`), or nowhere.
public enum LegendPosition: Equatable, Hashable, Sendable {
    case automatic, topLeft, topRight, bottomLeft, bottomRight, hidden
}

/// One row of a legend: a sample of the mark and its label.
public struct LegendEntry: Equatable, Sendable {
    public enum Symbol: Equatable, Sendable {
        case marker(Marker)
        case line(width: Double)
    }

    public var label: String
    public var color: Color
    public var symbol: Symbol

    public init(label: String, color: Color, symbol: Symbol) {
        self.label = label
        self.color = color
        self.symbol = symbol
    }
}

/// The decorations shared by every plot: title, axis labels, the frame, ticks and their
/// labels, grid lines and the legend; and the layout that decides where the plot area goes.
public struct PlotAxes {
    var width: Int
    var height: Int
    var title: String
    var xLabel: String
    var yLabel: String
    var textScale: Int
    var xScale: AxisScale = .linear
    var yScale: AxisScale = .linear
    var showsGrid: Bool

    static let frameColor = Color(grey: 40)
    static let gridColor = Color(grey: 228)
    static let textColor = Color(grey: 20)

    /// The result of laying out: where the area goes, and the ticks with their labels.
    struct Layout {
        var transform: PlotTransform
        var xTicks: [Double]
        var xTickLabels: [String]
        var yTicks: [Double]
        var yTickLabels: [String]
    }

    var padding: Int { 8 * textScale }
    var tickLength: Int { 4 * textScale }
    var textHeight: Int { BitmapFont.glyphHeight * textScale }
    var titleScale: Int { 2 * textScale }

    /// Tick counts that keep labels apart: one tick per ~90 pixels across, ~60 up.
    func targetTickCounts(area: PixelRectangle) -> (x: Int, y: Int) {
        (max(2, min(10, area.width / (90 * textScale))), max(2, min(10, area.height / (60 * textScale))))
    }

    /// Places the plot area so the title, tick labels and axis labels fit around it.
    func layout(xRange: ClosedRange<Double>, yRange: ClosedRange<Double>) -> Layout {
        let top = padding + (title.isEmpty ? 2 * textScale : BitmapFont.glyphHeight * titleScale + padding)
        let bottom = padding + (xLabel.isEmpty ? 0 : textHeight + padding / 2) + textHeight + tickLength + 3 * textScale
        let leftFixed = padding + (yLabel.isEmpty ? 0 : textHeight + padding) + tickLength + 3 * textScale
        // First guess of the area gives tick counts; y tick label widths then fix the left margin.
        var area = PixelRectangle(x: leftFixed + 6 * 5 * textScale, y: top,
                                  width: 0, height: max(1, height - top - bottom))
        area.width = max(1, width - area.x - padding * 2)
        var layout = Layout(transform: PlotTransform(area: area, xRange: xRange, yRange: yRange, xScale: xScale, yScale: yScale),
                            xTicks: [], xTickLabels: [], yTicks: [], yTickLabels: [])
        for _ in 0..<2 {
            let counts = targetTickCounts(area: area)
            layout.yTicks = AxisTicks.ticks(in: yRange, scale: yScale, targetCount: counts.y)
            layout.yTickLabels = AxisTicks.labels(for: layout.yTicks, scale: yScale)
            layout.xTicks = AxisTicks.ticks(in: xRange, scale: xScale, targetCount: counts.x)
            layout.xTickLabels = AxisTicks.labels(for: layout.xTicks, scale: xScale)
            let widestY = layout.yTickLabels.map { Canvas.textSize($0, scale: textScale).width }.max() ?? 0
            let lastX = Canvas.textSize(layout.xTickLabels.last ?? "", scale: textScale).width
            area.x = leftFixed + widestY
            area.width = max(1, width - area.x - max(padding * 2, lastX / 2 + padding))
            layout.transform.area = area
        }
        return layout
    }

    /// Fills the plot area with white (before anything else).
    func fillArea(on canvas: inout Canvas, layout: Layout) {
        canvas.fillRectangle(layout.transform.area, color: .white)
    }

    /// Draws grid lines at the ticks when `showsGrid` (after any background, before the data).
    func drawGrid(on canvas: inout Canvas, layout: Layout) {
        let area = layout.transform.area
        guard showsGrid else { return }
        for tick in layout.xTicks {
            let x = column(layout.transform.pixelX(tick), area)
            canvas.fillRectangle(PixelRectangle(x: x, y: area.y, width: 1, height: area.height), color: PlotAxes.gridColor)
        }
        for tick in layout.yTicks {
            let y = row(layout.transform.pixelY(tick), area)
            canvas.fillRectangle(PixelRectangle(x: area.x, y: y, width: area.width, height: 1), color: PlotAxes.gridColor)
        }
    }

    /// Draws the frame, ticks, tick labels, axis labels and title (after the data).
    func drawFrame(on canvas: inout Canvas, layout: Layout) {
        let savedClip = canvas.clip
        canvas.clip = canvas.bounds
        defer { canvas.clip = savedClip }
        let area = layout.transform.area
        canvas.strokeRectangle(PixelRectangle(x: area.x - 1, y: area.y - 1, width: area.width + 2, height: area.height + 2),
                               color: PlotAxes.frameColor)
        let tickWidth = max(1, textScale)
        for (tick, label) in zip(layout.xTicks, layout.xTickLabels) {
            let x = column(layout.transform.pixelX(tick), area)
            canvas.fillRectangle(PixelRectangle(x: x, y: area.maxY + 1, width: tickWidth, height: tickLength),
                                 color: PlotAxes.frameColor)
            canvas.drawText(label, at: (x, area.maxY + 1 + tickLength + 2 * textScale), color: PlotAxes.textColor,
                            scale: textScale, anchor: .topCenter)
        }
        for (tick, label) in zip(layout.yTicks, layout.yTickLabels) {
            let y = row(layout.transform.pixelY(tick), area)
            canvas.fillRectangle(PixelRectangle(x: area.x - 1 - tickLength, y: y, width: tickLength, height: tickWidth),
                                 color: PlotAxes.frameColor)
            canvas.drawText(label, at: (area.x - 1 - tickLength - 2 * textScale, y + 1), color: PlotAxes.textColor,
                            scale: textScale, anchor: .middleRight)
        }
        if !xLabel.isEmpty {
            let y = area.maxY + 1 + tickLength + 2 * textScale + textHeight + padding / 2
            canvas.drawText(xLabel, at: (area.x + area.width / 2, y), color: PlotAxes.textColor,
                            scale: textScale, anchor: .topCenter)
        }
        if !yLabel.isEmpty {
            canvas.drawText(yLabel, at: (padding, area.y + area.height / 2), color: PlotAxes.textColor,
                            scale: textScale, anchor: .middleLeft, direction: .upward)
        }
        if !title.isEmpty {
            canvas.drawText(title, at: (width / 2, padding), color: PlotAxes.textColor, scale: titleScale, anchor: .topCenter)
        }
    }

    /// The pixel column of a tick at pixel position `x`, kept inside the area.
    private func column(_ x: Double, _ area: PixelRectangle) -> Int {
        min(area.maxX - 1, max(area.x, Int(x.rounded(.down))))
    }

    private func row(_ y: Double, _ area: PixelRectangle) -> Int {
        min(area.maxY - 1, max(area.y, Int(y.rounded(.down))))
    }

    // MARK: Legend

    /// The legend box for `entries` in one corner of `area`.
    func legendBox(entries: [LegendEntry], corner: LegendPosition, area: PixelRectangle) -> PixelRectangle {
        let rowHeight = 12 * textScale, inner = 5 * textScale, symbolWidth = 18 * textScale
        let labelWidth = entries.map { Canvas.textSize($0.label, scale: textScale).width }.max() ?? 0
        let boxWidth = inner * 3 + symbolWidth + labelWidth
        let boxHeight = inner * 2 + rowHeight * entries.count - (rowHeight - textHeight)
        let inset = 6 * textScale
        let left = corner == .topLeft || corner == .bottomLeft ? area.x + inset : area.maxX - inset - boxWidth
        let top = corner == .topLeft || corner == .topRight ? area.y + inset : area.maxY - inset - boxHeight
        return PixelRectangle(x: left, y: top, width: boxWidth, height: boxHeight)
    }

    /// Picks the corner for the legend: the requested one, or under `automatic` the corner whose
    /// box covers the fewest of `occupied` pixel positions (ties: top right, top left, bottom
    /// right, bottom left).
    public func legendCorner(_ position: LegendPosition, entries: [LegendEntry], area: PixelRectangle,
                      occupied: [SIMD2<Double>]) -> LegendPosition {
        guard position == .automatic else { return position }
        var best = LegendPosition.topRight, bestCount = Int.max
        for corner in [LegendPosition.topRight, .topLeft, .bottomRight, .bottomLeft] {
            let box = legendBox(entries: entries, corner: corner, area: area)
            let count = occupied.reduce(0) { total, p in
                total + (p.x >= Double(box.x) && p.x < Double(box.maxX) && p.y >= Double(box.y) && p.y < Double(box.maxY) ? 1 : 0)
            }
            if count < bestCount { best = corner; bestCount = count }
        }
        return best
    }

    /// Draws the legend (nothing when hidden or when no entry has a label).
    func drawLegend(on canvas: inout Canvas, entries: [LegendEntry], position: LegendPosition,
                    area: PixelRectangle, occupied: [SIMD2<Double>]) {
        let entries = entries.filter { !$0.label.isEmpty }
        guard position != .hidden, !entries.isEmpty else { return }
        let corner = legendCorner(position, entries: entries, area: area, occupied: occupied)
        let box = legendBox(entries: entries, corner: corner, area: area)
        canvas.fillRectangle(box, color: .white, opacity: 0.88)
        canvas.strokeRectangle(box, color: Color(grey: 170))
        let rowHeight = 12 * textScale, inner = 5 * textScale, symbolWidth = 18 * textScale
        for (index, entry) in entries.enumerated() {
            let top = box.y + inner + index * rowHeight
            let middle = Double(top) + Double(textHeight - textScale) / 2
            let symbolLeft = Double(box.x + inner)
            switch entry.symbol {
            case let .marker(marker):
                canvas.drawMarker(marker, center: SIMD2(symbolLeft + Double(symbolWidth) / 2, middle),
                                  size: 7 * Double(textScale), color: entry.color)
            case let .line(width):
                canvas.drawLine(from: SIMD2(symbolLeft, middle), to: SIMD2(symbolLeft + Double(symbolWidth), middle),
                                color: entry.color, lineWidth: max(1, min(width, 4)) * Double(textScale))
            }
            canvas.drawText(entry.label, at: (box.x + inner * 2 + symbolWidth, top), color: PlotAxes.textColor,
                            scale: textScale)
        }
    }
}

/// Automatic axis ranges: the data's extent widened by `margin` of its span on each side; a
/// single value v gets v ± max(0.5, |v|/10). Non-finite values are ignored; no data gives [0, 1].
func paddedRange(_ values: [Double], margin: Double) -> ClosedRange<Double> {
    let finite = values.filter(\.isFinite)
    guard let low = finite.min(), let high = finite.max() else { return 0...1 }
    if high - low <= 0 {
        let half = max(0.5, abs(low) / 10)
        return (low - half)...(high + half)
    }
    let pad = (high - low) * margin
    return (low - pad)...(high + pad)
}
