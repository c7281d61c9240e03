import Testing
import TensorModule
import ImageFormats

private let marker = Color(red: 1, green: 2, blue: 3)

@Test func transformMapsRangeCornersToTheAreaCorners() {
    var plot = ScatterPlot(title: "T", xLabel: "x", yLabel: "y", width: 400, height: 300,
                           xRange: -1...3, yRange: 10...20, preservesAspectRatio: false)
    plot.add(points: [SIMD2(0, 15)])
    let transform = plot.transform()
    let area = transform.area
    #expect(area.x > 0 && area.y > 0 && area.maxX < 400 && area.maxY < 300)
    #expect(transform.pixel(SIMD2(-1, 20)) == SIMD2(Double(area.x), Double(area.y)))
    #expect(transform.pixel(SIMD2(3, 10)) == SIMD2(Double(area.maxX), Double(area.maxY)))
    let p = transform.pixel(SIMD2(0, 12.5))
    #expect(abs(p.x - (Double(area.x) + 0.25 * Double(area.width))) < 1e-9)
    #expect(abs(p.y - (Double(area.y) + 0.75 * Double(area.height))) < 1e-9)
    let back = transform.dataPoint(atPixel: p)
    #expect(abs(back.x - 0) < 1e-9 && abs(back.y - 12.5) < 1e-9)
}

@Test func aDataPointIsDrawnAtItsMappedPixel() {
    var plot = ScatterPlot(width: 300, height: 300, xRange: 0...10, yRange: 0...10, preservesAspectRatio: false)
    let point = SIMD2(7.3, 2.1)
    plot.add(points: [point], color: marker, marker: .square, size: 3)
    let image = plot.render()
    let (x, y) = plot.transform().pixelIndex(point)
    #expect(Array(image[x, y]) == [1, 2, 3])
    // The square is 3 pixels wide: two pixels away there is no marker colour.
    #expect(Array(image[x + 3, y]) != [1, 2, 3] && Array(image[x, y - 3]) != [1, 2, 3])
    // Nowhere else in the image has the marker colour.
    var count = 0
    for row in 0..<image.height { for column in 0..<image.width where Array(image[column, row]) == [1, 2, 3] { count += 1 } }
    #expect(count <= 9)
}

@Test func aspectRatioIsPreservedAndDataStaysInRange() {
    var plot = ScatterPlot(width: 640, height: 400)
    let points = [SIMD2(-1.0, -1), SIMD2(3, 0.5), SIMD2(0.2, 2)]
    plot.add(points: points)
    let transform = plot.transform()
    let xUnits = (transform.xRange.upperBound - transform.xRange.lowerBound) / Double(transform.area.width)
    let yUnits = (transform.yRange.upperBound - transform.yRange.lowerBound) / Double(transform.area.height)
    #expect(abs(xUnits - yUnits) < 1e-12 * max(xUnits, yUnits))
    for p in points { #expect(transform.xRange.contains(p.x) && transform.yRange.contains(p.y)) }
}

@Test func tensorPointsAreTheRows() {
    var plot = ScatterPlot()
    plot.add(points: Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), label: "codes")
    #expect(plot.pointSets[0].points == [SIMD2(1, 2), SIMD2(3, 4)])
    #expect(plot.pointSets[0].color == Palette.color(0))
}

@Test func cellsAreColouredByIndexWithBoundaries() {
    var plot = ScatterPlot(width: 200, height: 200, xRange: -1...1, yRange: -1...1, legendPosition: .hidden)
    plot.addCells(strength: 0.5, boundaryColor: .black) { x, _ in x < 0 ? 0 : 1 }
    let image = plot.render()
    let transform = plot.transform()
    let left = transform.pixelIndex(SIMD2(-0.5, 0)), right = transform.pixelIndex(SIMD2(0.5, 0))
    let expectedLeft = Palette.color(0).lightened(by: 0.5), expectedRight = Palette.color(1).lightened(by: 0.5)
    #expect(Array(image[left.x, left.y]) == [expectedLeft.red, expectedLeft.green, expectedLeft.blue])
    #expect(Array(image[right.x, right.y]) == [expectedRight.red, expectedRight.green, expectedRight.blue])
    // The boundary: in the row through the middle, exactly one dark pixel between the cells.
    let row = left.y
    let dark = (left.x...right.x).filter { image[$0, row].allSatisfy { $0 < 60 } }
    #expect(dark.count == 1)
    if let boundary = dark.first {
        #expect(abs(transform.dataPoint(atPixel: SIMD2(Double(boundary) + 0.5, 0)).x) < 2 * 2.0 / Double(transform.area.width))
    }
}

@Test func batchCellClosureSeesEveryPixelCentreOnce() {
    var plot = ScatterPlot(width: 120, height: 100, xRange: 0...1, yRange: 0...1, preservesAspectRatio: false)
    var seen = 0
    plot.addCells { points in
        seen += points.count
        return points.map { $0.y > 0.5 ? 3 : -1 }
    }
    let image = plot.render()
    let area = plot.transform().area
    #expect(seen == area.width * area.height)
    // Negative indices leave the background white.
    let low = plot.transform().pixelIndex(SIMD2(0.5, 0.2))
    #expect(Array(image[low.x, low.y]) == [255, 255, 255])
}

@Test func segmentsAreDrawnBetweenTheirEnds() {
    var plot = ScatterPlot(width: 200, height: 200, xRange: 0...1, yRange: 0...1, legendPosition: .hidden)
    plot.addSegments(from: [SIMD2(0.1, 0.1)], to: [SIMD2(0.9, 0.9)], color: marker, lineWidth: 3, opacity: 1)
    let image = plot.render()
    let middle = plot.transform().pixelIndex(SIMD2(0.5, 0.5))
    #expect(Array(image[middle.x, middle.y]) == [1, 2, 3])
    let off = plot.transform().pixelIndex(SIMD2(0.5, 0.2))
    #expect(Array(image[off.x, off.y]) == [255, 255, 255])
}

@Test func frameTicksAndTitleAreDrawnOutsideTheArea() {
    var plot = ScatterPlot(title: "Title", xLabel: "x", yLabel: "y", width: 300, height: 300,
                           xRange: 0...1, yRange: 0...1)
    plot.add(points: [SIMD2(0.5, 0.5)])
    let image = plot.render()
    let area = plot.transform().area
    // The frame is the ring of pixels just outside the area.
    #expect(image[area.x + 10, area.maxY].allSatisfy { $0 < 100 })
    #expect(image[area.x - 1, area.y + 10].allSatisfy { $0 < 100 })
    // Title pixels above the area, tick labels below it.
    let darkRows = (0..<area.y - 1).filter { y in (0..<300).contains { x in image[x, y].allSatisfy { $0 < 100 } } }
    #expect(!darkRows.isEmpty)
    let belowArea = ((area.maxY + 2)..<300).filter { y in (0..<300).contains { x in image[x, y].allSatisfy { $0 < 100 } } }
    #expect(!belowArea.isEmpty)
}

@Test func automaticLegendAvoidsTheData() {
    var plot = ScatterPlot(width: 300, height: 300, xRange: 0...1, yRange: 0...1)
    // Crowd the top right corner.
    plot.add(points: (0..<100).map { SIMD2(0.7 + Double($0 % 10) * 0.03, 0.7 + Double($0 / 10) * 0.03) }, label: "crowd")
    let transform = plot.transform()
    let occupied = plot.pointSets[0].points.map(transform.pixel)
    let entries = [LegendEntry(label: "crowd", color: .black, symbol: .marker(.disc))]
    #expect(plot.axes.legendCorner(.automatic, entries: entries, area: transform.area, occupied: occupied) == .topLeft)
    #expect(plot.axes.legendCorner(.bottomRight, entries: entries, area: transform.area, occupied: occupied) == .bottomRight)
}

@Test func panelsAreSideBySide() {
    let a = ScatterPlot(width: 100, height: 80), b = ScatterPlot(width: 120, height: 90)
    let image = ScatterPlot.panels([a, b], spacing: 4)
    #expect(image.width == 2 * 120 + 4 && image.height == 90)
}

@Test func gridLinesAreDrawnOverCellsNotInsteadOfThem() {
    var plot = ScatterPlot(width: 200, height: 200, xRange: -1...1, yRange: -1...1, showsGrid: true,
                           legendPosition: .hidden)
    plot.addCells(strength: 1, boundaryColor: nil) { _, _ in 2 }
    let image = plot.render()
    let inside = plot.transform().pixelIndex(SIMD2(0.23, 0.37))      // off the grid lines
    let cell = Palette.color(2)
    #expect(Array(image[inside.x, inside.y]) == [cell.red, cell.green, cell.blue])
}
