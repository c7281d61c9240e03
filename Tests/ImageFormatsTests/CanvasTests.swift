import Testing
import ImageFormats

private let ink = Color(red: 10, green: 20, blue: 30)

/// Pixels that are not white, as (x, y).
private func inked(_ canvas: Canvas) -> [(x: Int, y: Int)] {
    var found: [(x: Int, y: Int)] = []
    for y in 0..<canvas.height {
        for x in 0..<canvas.width where canvas.color(x: x, y: y) != .white { found.append((x, y)) }
    }
    return found
}

@Test(arguments: [TextAnchor.topLeft, .center, .bottomRight], [TextDirection.horizontal, .upward])
func textStaysInsideItsBox(anchor: TextAnchor, direction: TextDirection) {
    var canvas = Canvas(width: 700, height: 700)
    let text = "Loss (x10) = 42%, p_q/g:y.-+"
    let box = Canvas.textBox(text, at: (350, 350), scale: 2, anchor: anchor, direction: direction)
    #expect(canvas.bounds.intersection(box) == box)
    canvas.drawText(text, at: (350, 350), color: ink, scale: 2, anchor: anchor, direction: direction)
    let pixels = inked(canvas)
    #expect(pixels.count > 100)
    #expect(pixels.allSatisfy { box.contains(x: $0.x, y: $0.y) })
    // The text reaches the far ends of its box along the writing direction.
    if direction == .horizontal {
        #expect(pixels.map(\.x).min() == box.x && pixels.map(\.x).max() == box.maxX - 1)
    } else {
        #expect(pixels.map(\.y).max() == box.maxY - 1 && pixels.map(\.y).min() == box.y)
    }
}

@Test func textSizeFollowsTheFontMetrics() {
    #expect(Canvas.textSize("abc").width == 3 * 6 - 1)
    #expect(Canvas.textSize("abc", scale: 3) == (width: 51, height: 24))
    #expect(Canvas.textSize("").width == 0)
}

@Test func fontCoversThePlotCharactersWithDistinctGlyphs() {
    let needed = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-+:/%()=,_ "
    for character in needed { #expect(BitmapFont.hasGlyph(character), "no glyph for \(character)") }
    #expect(!BitmapFont.hasGlyph("é"))
    #expect(BitmapFont.ascii.count == 95)
    let printable = BitmapFont.ascii.dropFirst()     // all but space
    #expect(printable.allSatisfy { $0.count == 5 && $0.contains { $0 != 0 } })
    #expect(Set(printable.map { $0.map(String.init).joined(separator: ",") }).count == printable.count)
}

@Test func unknownCharactersDrawAHollowBox() {
    var canvas = Canvas(width: 10, height: 10)
    canvas.drawText("é", at: (0, 0), color: ink)
    #expect(canvas.color(x: 0, y: 0) == ink && canvas.color(x: 4, y: 6) == ink)
    #expect(canvas.color(x: 2, y: 3) == .white)
}

@Test func rectangleFillAndStroke() {
    var canvas = Canvas(width: 10, height: 10)
    canvas.fillRectangle(PixelRectangle(x: 2, y: 3, width: 4, height: 2), color: ink)
    #expect(inked(canvas).count == 8)
    #expect(canvas.color(x: 2, y: 3) == ink && canvas.color(x: 5, y: 4) == ink && canvas.color(x: 6, y: 4) == .white)
    var outline = Canvas(width: 10, height: 10)
    outline.strokeRectangle(PixelRectangle(x: 1, y: 1, width: 5, height: 4), color: ink)
    #expect(inked(outline).count == 2 * 5 + 2 * 2)
    #expect(outline.color(x: 3, y: 2) == .white)
}

@Test func polygonFillsExactlyThePixelsWhoseCentresAreInside() {
    var canvas = Canvas(width: 12, height: 12)
    canvas.fillPolygon([SIMD2(2, 3), SIMD2(6, 3), SIMD2(6, 7), SIMD2(2, 7)], color: ink)
    let pixels = inked(canvas)
    #expect(pixels.count == 16)
    #expect(pixels.allSatisfy { (2..<6).contains($0.x) && (3..<7).contains($0.y) })
    // A right triangle with legs of 8: centres strictly inside x + y < 8 (corner at origin).
    var triangle = Canvas(width: 12, height: 12)
    triangle.fillPolygon([SIMD2(0, 0), SIMD2(8, 0), SIMD2(0, 8)], color: ink)
    let expected = (0..<8).flatMap { y in (0..<8).filter { x in Double(x) + Double(y) + 1 < 8 }.map { (x: $0, y: y) } }
    #expect(inked(triangle).count == expected.count)
}

@Test func linesCoverTheirPixelsAndNothingFar() {
    var canvas = Canvas(width: 40, height: 20)
    canvas.drawLine(from: SIMD2(5.5, 10.5), to: SIMD2(30.5, 10.5), color: ink, lineWidth: 1, antialiased: false)
    let pixels = inked(canvas)
    // Exactly row 10 from x 5 to 30: pixel centres within half the width of the segment.
    #expect(pixels.count == 26)
    #expect((5...30).allSatisfy { canvas.color(x: $0, y: 10) == ink })

    var diagonal = Canvas(width: 40, height: 40)
    diagonal.drawLine(from: SIMD2(2, 2), to: SIMD2(38, 38), color: ink, lineWidth: 2)
    #expect(diagonal.color(x: 20, y: 20) == ink)              // centre of the line: fully covered
    #expect(diagonal.color(x: 30, y: 10) == .white)
    #expect(inked(diagonal).allSatisfy { abs($0.x - $0.y) <= 2 })
}

@Test func discIsRoundWithTheRightArea() {
    var canvas = Canvas(width: 40, height: 40)
    canvas.fillDisc(center: SIMD2(20, 20), radius: 8, color: .black)
    #expect(canvas.color(x: 20, y: 20) == .black && canvas.color(x: 20, y: 30) == .white)
    // Darkness summed over the canvas equals the disc's area within a few pixels.
    var darkness = 0.0
    for y in 0..<40 { for x in 0..<40 { darkness += 1 - Double(canvas.color(x: x, y: y).red) / 255 } }
    #expect(abs(darkness - Double.pi * 64) < 3)
}

@Test func drawingRespectsTheClipRectangle() {
    var canvas = Canvas(width: 20, height: 20)
    canvas.clip = PixelRectangle(x: 5, y: 5, width: 10, height: 10)
    canvas.fillDisc(center: SIMD2(5, 5), radius: 6, color: ink)
    canvas.drawLine(from: SIMD2(0, 18), to: SIMD2(20, 0), color: ink, lineWidth: 3)
    canvas.drawText("XX", at: (0, 0), color: ink, scale: 3)
    let pixels = inked(canvas)
    #expect(!pixels.isEmpty)
    #expect(pixels.allSatisfy { canvas.clip.contains(x: $0.x, y: $0.y) })
}

@Test func blendingMixesByOpacity() {
    var canvas = Canvas(width: 1, height: 1, background: .black)
    canvas.blendPixel(x: 0, y: 0, .white, opacity: 0.5)
    #expect(canvas.color(x: 0, y: 0) == Color(grey: 128))
    #expect(Color.black.mixed(with: .white, fraction: 0.25) == Color(grey: 64))
    #expect(Color(hex: 0x1F77B4).description == "#1F77B4")
}

@Test func markersDrawAroundTheirCentre() {
    for marker in [Marker.disc, .square, .triangle, .cross, .plus, .ring] {
        var canvas = Canvas(width: 30, height: 30)
        canvas.drawMarker(marker, center: SIMD2(15, 15), size: 10, color: ink)
        let pixels = inked(canvas)
        #expect(pixels.count > 10, "\(marker) drew \(pixels.count) pixels")
        #expect(pixels.allSatisfy { abs($0.x - 15) <= 7 && abs($0.y - 15) <= 7 }, "\(marker) strays")
    }
}
