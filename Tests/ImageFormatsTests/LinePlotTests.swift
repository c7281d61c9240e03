import Testing
import ImageFormats

private let ink = Color(red: 200, green: 0, blue: 100)

private func hasInk(_ image: RasterImage, near point: (x: Int, y: Int), radius: Int = 1) -> Bool {
    for y in (point.y - radius)...(point.y + radius) {
        for x in (point.x - radius)...(point.x + radius) where x >= 0 && y >= 0 && x < image.width && y < image.height {
            if Array(image[x, y]) == [ink.red, ink.green, ink.blue] { return true }
        }
    }
    return false
}

@Test func linearPlotDrawsTheCurveThroughItsPoints() {
    var plot = LinePlot(title: "loss", xLabel: "epoch", yLabel: "loss", showsGrid: false)
    plot.add(y: [4, 2, 3, 1], x: [1, 2, 3, 4], label: "train", color: ink, lineWidth: 3)
    let image = plot.render()
    let transform = plot.transform()
    #expect(transform.xRange == 1...4)
    #expect(transform.yRange.lowerBound < 1 && transform.yRange.upperBound > 4)
    // The middle of the segment from (2, 2) to (3, 3) is on the curve.
    #expect(hasInk(image, near: transform.pixelIndex(SIMD2(2.5, 2.5))))
    // Far from the curve there is none.
    #expect(!hasInk(image, near: transform.pixelIndex(SIMD2(2.5, 4)), radius: 2))
}

@Test func defaultXIsTheIndex() {
    var plot = LinePlot()
    plot.add(y: [1, 2, 3])
    #expect(plot.series[0].x == [0, 1, 2])
    #expect(plot.series[0].color == Palette.color(0))
}

@Test func nonFiniteValuesBreakTheCurve() {
    var plot = LinePlot(showsGrid: false, legendPosition: .hidden)
    plot.add(y: [1, .nan, 1], x: [0, 1, 2], color: ink, lineWidth: 3)
    plot.add(y: [0, 0, 0], x: [0, 1, 2], color: .black)     // sets the y range so y = 1 is mid-plot
    plot.add(y: [2, 2, 2], x: [0, 1, 2], color: .black)
    let image = plot.render()
    let transform = plot.transform()
    #expect(plot.plottedY(.nan) == nil && plot.plottedY(.infinity) == nil)
    #expect(!hasInk(image, near: transform.pixelIndex(SIMD2(1, 1)), radius: 3))
}

@Test func logScaleClampsZerosAndNegativesToTheFloor() {
    var plot = LinePlot(yScale: .logarithmic, showsGrid: false, legendPosition: .hidden)
    plot.add(y: [1, 0.1, 0.01, 0, -5], x: [0, 1, 2, 3, 4], color: ink, lineWidth: 3)
    // Floor: a tenth of the smallest positive value.
    #expect(plot.logarithmicFloor() == 0.001)
    #expect(plot.plottedY(0) == 0.001 && plot.plottedY(-5) == 0.001 && plot.plottedY(0.5) == 0.5)
    let transform = plot.transform()
    #expect(transform.yScale == .logarithmic)
    #expect(transform.yRange.lowerBound <= 0.001 && transform.yRange.upperBound >= 1)
    let image = plot.render()
    // The clamped points are drawn inside the area, at the floor's height.
    let zero = transform.pixelIndex(SIMD2(3, 0.001)), negative = transform.pixelIndex(SIMD2(4, 0.001))
    #expect(transform.area.contains(x: zero.x, y: zero.y) && transform.area.contains(x: negative.x - 1, y: negative.y))
    #expect(hasInk(image, near: zero))
    #expect(hasInk(image, near: (negative.x - 1, negative.y)))
    // Equal steps in log10 are equal steps in pixels.
    let a = transform.pixelY(1), b = transform.pixelY(0.1), c = transform.pixelY(0.01)
    #expect(abs((b - a) - (c - b)) < 1e-9)
}

@Test func logScaleWithNoPositiveValueStillRenders() {
    var plot = LinePlot(yScale: .logarithmic)
    plot.add(y: [0, -1, 0])
    #expect(plot.logarithmicFloor() == 1)
    let image = plot.render()
    #expect(image.width == 640 && image.height == 480)
}

@Test func logScaleWithAGivenRangeClampsToItsLowerBound() {
    var plot = LinePlot(yScale: .logarithmic, yRange: 1e-6...1)
    plot.add(y: [0.5, 0])
    #expect(plot.logarithmicFloor() == 1e-6)
    #expect(plot.transform().yRange == 1e-6...1)
}

@Test func referenceLinesAreDashedAcrossTheArea() {
    var plot = LinePlot(showsGrid: false, legendPosition: .hidden)
    plot.add(y: [0, 1])
    plot.addReferenceLine(y: 0.5, color: ink)
    let image = plot.render()
    let transform = plot.transform()
    let row = transform.pixelIndex(SIMD2(0, 0.5)).y
    let inked = (transform.area.x..<transform.area.maxX).filter { Array(image[$0, row]) == [ink.red, ink.green, ink.blue] }
    // Dashes: about half of the row, in several pieces.
    #expect(inked.count > transform.area.width / 3 && inked.count < transform.area.width * 2 / 3)
}
