import Foundation
import Testing
import ImageFormats
import TensorModule

/// Renders sample pictures (fonts, plots, grids) and checks each survives a PNG round trip and is
/// not blank; with $LATENTOT_GALLERY set they are also written there for a person to look at.
private let galleryFolder = ProcessInfo.processInfo.environment["LATENTOT_GALLERY"]

private func save(_ image: RasterImage, _ name: String) throws {
    let data = try PNG.encode(image)
    #expect(try PNG.decode(data) == image, "\(name): PNG round trip")
    #expect(Set(image.pixels).count > 1, "\(name): a blank picture")
    if let galleryFolder { try data.write(to: URL(fileURLWithPath: galleryFolder).appendingPathComponent(name)) }
}

@Test
func galleryFontSheet() throws {
    var canvas = Canvas(width: 420, height: 200)
    let ascii = (32...126).map { String(UnicodeScalar(UInt8($0))) }.joined()
    for (line, start) in stride(from: 0, to: ascii.count, by: 32).enumerated() {
        let text = String(ascii.dropFirst(start).prefix(32))
        canvas.drawText(text, at: (4, 4 + line * 12), color: .black)
        canvas.drawText(text, at: (4, 60 + line * 20), color: .blue, scale: 2)
    }
    canvas.drawText("×·°−²µμαβελσν≤≥ é", at: (4, 150), color: .black, scale: 2)
    canvas.drawText("Upward", at: (400, 190), color: .red, scale: 2, anchor: .bottomLeft, direction: .upward)
    try save(canvas.image, "font.png")
}

private func polar(_ radius: Double, _ angle: Double) -> SIMD2<Double> {
    SIMD2(radius * cos(angle), radius * sin(angle))
}

/// Eight Gaussian blobs on a circle (a deterministic stand-in for the toy data).
private func eightBlobs(count: Int) -> [SIMD2<Double>] {
    (0..<count).map { k in
        let blob = Double(k % 8) * .pi / 4
        let jitterX: Double = sin(Double(k) * 12.9898) * 0.15
        let jitterY: Double = cos(Double(k) * 78.233) * 0.15
        return SIMD2(2 * cos(blob) + jitterX, 2 * sin(blob) + jitterY)
    }
}

@Test
func galleryScatterWithCellsAndTransportLines() throws {
    let targets: [SIMD2<Double>] = (0..<8).map { k in polar(2, Double(k) * .pi / 4) }
    let heights: [Double] = [0.1, -0.2, 0.3, 0, -0.1, 0.2, -0.3, 0.05]
    let cell = { (x: Double, y: Double) -> Int in
        var best = 0, bestValue = -Double.infinity
        for (i, t) in targets.enumerated() {
            let value = x * t.x + y * t.y + heights[i]
            if value > bestValue { best = i; bestValue = value }
        }
        return best
    }
    let sources: [SIMD2<Double>] = (0..<200).map { k in
        let x: Double = sin(Double(k) * 3.1) * 2.5, y: Double = cos(Double(k) * 1.7) * 2.5
        return SIMD2(x, y)
    }
    var plot = ScatterPlot(title: "Power cells and transport", xLabel: "latent z1", yLabel: "latent z2")
    plot.addCells(cellIndex: cell)
    plot.addSegments(from: sources, to: sources.map { targets[cell($0.x, $0.y)] }, label: "x -> T(x)")
    plot.add(points: sources, label: "samples (200)", size: 4)
    plot.add(points: targets, label: "targets", color: .black, marker: .cross, size: 10)
    try save(plot.render(), "scatter-cells.png")

    var plain = ScatterPlot(title: "Eight Gaussians", xLabel: "x", yLabel: "y", showsGrid: true)
    let data = eightBlobs(count: 2000)
    plain.add(points: data, label: "data", opacity: 0.5)
    plain.add(points: data.map { $0 * 0.9 + SIMD2(0.05, 0.1) }, label: "generated", marker: .ring, opacity: 0.7)
    var wide = ScatterPlot(title: "Wide range", width: 480, height: 360, preservesAspectRatio: false)
    wide.add(points: (0..<50).map { SIMD2(Double($0) * 2e-5, Double($0 * $0) * 1e4) }, label: "quadratic", marker: .square)
    wide.add(points: (0..<50).map { SIMD2(Double($0) * 2e-5, Double($0) * 5e5) }, label: "linear", marker: .triangle)
    try save(plain.render(), "scatter-plain.png")
    try save(ScatterPlot.panels([plain, wide], spacing: 10), "panels.png")
}

@Test
func galleryLinePlots() throws {
    var loss = LinePlot(title: "Autoencoder training", xLabel: "epoch", yLabel: "loss")
    loss.add(y: (1...40).map { 0.08 * exp(-Double($0) / 10) + 0.01 }, x: (1...40).map(Double.init), label: "train")
    loss.add(y: (1...40).map { 0.085 * exp(-Double($0) / 11) + 0.013 }, x: (1...40).map(Double.init),
             label: "validation", marker: .disc)
    try save(loss.render(), "line-loss.png")

    var error = LinePlot(title: "Semi-discrete solver", xLabel: "step", yLabel: "marginal error", yScale: .logarithmic)
    let fast: [Double] = (0..<300).map { step in step == 299 ? 0 : 0.5 * exp(-Double(step) / 25) }
    let slow: [Double] = (0..<300).map { step in
        let t = Double(step)
        return 0.4 * exp(-t / 60) * (1.2 + sin(t / 3) * 0.2)
    }
    error.add(y: fast, label: "Adam, lr 1e-2")
    error.add(y: slow, label: "Adam, lr 1e-3")
    error.addReferenceLine(y: 1e-4, label: "tolerance 1e-4")
    try save(error.render(), "line-log.png")
}

@Test
func galleryImageGrids() throws {
    var scalars: [Float] = []
    for k in 0..<10 {
        for y in 0..<28 {
            for x in 0..<28 {
                let dx = Double(x) - 14, dy = Double(y) - 14
                scalars.append(Float(max(0, 1 - abs((dx * dx + dy * dy).squareRoot() - Double(3 + k)) / 2)))
            }
        }
    }
    let images = TensorModule.Tensor(shape: [10, 1, 28, 28], scalars: scalars)
    try save(ImageGrid.make(images: images, columns: 5), "grid.png")
    try save(ImageGrid.make(rows: [images, images.rows(0..<6)], labels: ["data", "AE-OT"], textScale: 2), "grid-labelled.png")
}

@Test
func galleryManyCellsLarge() throws {
    // 80 targets on a spiral: palette colours past the fixed thirty, at 1280×1280 (text scale 2).
    let targets: [SIMD2<Double>] = (0..<80).map { k in polar(0.2 + Double(k) / 27, Double(k) * 0.5) }
    var plot = ScatterPlot(title: "80 cells", xLabel: "z1", yLabel: "z2", width: 1280, height: 1280)
    plot.addCells { points in
        points.map { p in
            var best = 0, bestDistance = Double.infinity
            for (i, t) in targets.enumerated() {
                let d = (p - t) * (p - t)
                let distance = d.x + d.y
                if distance < bestDistance { best = i; bestDistance = distance }
            }
            return best
        }
    }
    plot.add(points: targets, label: "targets", color: .black, size: 5)
    #expect(plot.textScale == 2)
    try save(plot.render(), "scatter-many-cells.png")
}
