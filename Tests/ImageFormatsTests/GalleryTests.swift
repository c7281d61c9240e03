import Foundation
import Testing
@testable import ImageFormats

/// Writes sample renderings to $LATENTOT_GALLERY (a folder) for a person to look at; skipped
/// unless that variable is set. Each file is read back, so a broken encoder still fails here.
private let galleryFolder = ProcessInfo.processInfo.environment["LATENTOT_GALLERY"]

private func save(_ image: RasterImage, _ name: String) throws {
    let data = try PNG.encode(image)
    #expect(try PNG.decode(data) == image)
    try data.write(to: URL(fileURLWithPath: galleryFolder!).appendingPathComponent(name))
}

@Test(.enabled(if: galleryFolder != nil))
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
