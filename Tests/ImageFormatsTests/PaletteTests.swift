import Testing
import ImageFormats

private func distance(_ a: Color, _ b: Color) -> Double {
    let d = [Double(a.red) - Double(b.red), Double(a.green) - Double(b.green), Double(a.blue) - Double(b.blue)]
    return (d.map { $0 * $0 }.reduce(0, +)).squareRoot()
}

@Test func paletteHasAtLeastTwentyFiveWellSeparatedColours() {
    #expect(Palette.fixed.count >= 25)
    var closest = Double.infinity
    for i in Palette.fixed.indices {
        for j in Palette.fixed.indices where j > i { closest = min(closest, distance(Palette.fixed[i], Palette.fixed[j])) }
    }
    // No two fixed colours closer than 40 (of 441 across the RGB cube).
    #expect(closest >= 40, "closest pair at distance \(closest)")
    // None is (near) white: marks must show on the white plot background.
    #expect(Palette.fixed.allSatisfy { distance($0, .white) > 60 })
}

@Test func paletteIsDeterministicAndExtendsBeyondTheFixedColours() {
    #expect(Palette.color(3) == Palette.fixed[3])
    #expect(Palette.color(-1) == .grey)
    let far = (Palette.fixed.count..<(Palette.fixed.count + 50)).map(Palette.color)
    #expect(far == (Palette.fixed.count..<(Palette.fixed.count + 50)).map(Palette.color))
    for (a, b) in zip(far, far.dropFirst()) { #expect(distance(a, b) > 40) }
}

@Test func hsvPrimaries() {
    #expect(Palette.hsv(hue: 0, saturation: 1, value: 1) == Color(red: 255, green: 0, blue: 0))
    #expect(Palette.hsv(hue: 1.0 / 3, saturation: 1, value: 1) == Color(red: 0, green: 255, blue: 0))
    #expect(Palette.hsv(hue: 0.5, saturation: 0, value: 0.5) == Color(grey: 128))
}
