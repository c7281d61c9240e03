/// A rectangle of whole pixels: columns `x..<x+width`, rows `y..<y+height`.
public struct PixelRectangle: Equatable, Hashable, Sendable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }

    public func contains(x px: Int, y py: Int) -> Bool { px >= x && px < maxX && py >= y && py < maxY }

    /// The overlap of two rectangles (empty, with zero width or height, when they do not meet).
    public func intersection(_ other: PixelRectangle) -> PixelRectangle {
        let left = max(x, other.x), top = max(y, other.y)
        let right = min(maxX, other.maxX), bottom = min(maxY, other.maxY)
        return PixelRectangle(x: left, y: top, width: max(0, right - left), height: max(0, bottom - top))
    }
}

/// Shapes drawn at data points: distinguishable even in one colour (e.g. targets vs samples).
public enum Marker: Equatable, Hashable, Sendable {
    case disc, square, triangle, cross, plus, ring
}

/// An RGB drawing surface: the pixels plots are made of.
///
/// Coordinates are in pixels with the origin at the top-left corner and y pointing down. Shape
/// functions take continuous coordinates: pixel (i, j) covers [i, i+1) × [j, j+1), so its centre
/// is (i + 0.5, j + 0.5). Discs and lines are anti-aliased by the area they cover (approximated
/// from the distance of the pixel centre to the shape); polygons and rectangles are not. Every
/// drawing call is clipped to `clip` (the whole canvas by default), so plots can keep marks
/// inside their axes.
public struct Canvas: Sendable {
    public let width: Int
    public let height: Int
    /// Interleaved red, green, blue, rows top to bottom (the layout of an RGB `RasterImage`).
    public private(set) var pixels: [UInt8]
    /// Drawing outside this rectangle is ignored.
    public var clip: PixelRectangle {
        didSet { clip = clip.intersection(PixelRectangle(x: 0, y: 0, width: width, height: height)) }
    }

    /// A canvas of `width`×`height` pixels filled with `background`.
    public init(width: Int, height: Int, background: Color = .white) {
        precondition(width >= 0 && height >= 0, "Canvas: negative size \(width)×\(height)")
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        clip = PixelRectangle(x: 0, y: 0, width: width, height: height)
        fill(background)
    }

    /// A canvas holding a copy of `image` (grey images become grey RGB).
    public init(image: RasterImage) {
        let rgb = image.converted(toChannels: 3)
        width = rgb.width
        height = rgb.height
        pixels = rgb.pixels
        clip = PixelRectangle(x: 0, y: 0, width: width, height: height)
    }

    /// The drawing as an RGB image.
    public var image: RasterImage { RasterImage(width: width, height: height, channels: 3, pixels: pixels) }

    /// The bounds of the canvas.
    public var bounds: PixelRectangle { PixelRectangle(x: 0, y: 0, width: width, height: height) }

    // MARK: Pixels

    /// The colour at column `x`, row `y`.
    public func color(x: Int, y: Int) -> Color {
        precondition(x >= 0 && x < width && y >= 0 && y < height, "Canvas: pixel (\(x), \(y)) outside \(width)×\(height)")
        let index = (y * width + x) * 3
        return Color(red: pixels[index], green: pixels[index + 1], blue: pixels[index + 2])
    }

    /// Sets one pixel (ignored outside `clip`).
    @inline(__always)
    public mutating func setPixel(x: Int, y: Int, _ color: Color) {
        guard clip.contains(x: x, y: y) else { return }
        let index = (y * width + x) * 3
        pixels[index] = color.red
        pixels[index + 1] = color.green
        pixels[index + 2] = color.blue
    }

    /// Paints `color` over one pixel with weight `opacity` in [0,1]: new = (1-a)·old + a·color.
    @inline(__always)
    public mutating func blendPixel(x: Int, y: Int, _ color: Color, opacity: Double) {
        guard opacity > 0, clip.contains(x: x, y: y) else { return }
        if opacity >= 1 { setPixel(x: x, y: y, color); return }
        let index = (y * width + x) * 3
        func mix(_ old: UInt8, _ new: UInt8) -> UInt8 {
            UInt8((Double(old) + (Double(new) - Double(old)) * opacity).rounded())
        }
        pixels[index] = mix(pixels[index], color.red)
        pixels[index + 1] = mix(pixels[index + 1], color.green)
        pixels[index + 2] = mix(pixels[index + 2], color.blue)
    }

    // MARK: Areas

    /// Fills the whole canvas (ignoring `clip`).
    public mutating func fill(_ color: Color) {
        for index in stride(from: 0, to: pixels.count, by: 3) {
            pixels[index] = color.red
            pixels[index + 1] = color.green
            pixels[index + 2] = color.blue
        }
    }

    /// Fills the pixels of `rectangle`.
    public mutating func fillRectangle(_ rectangle: PixelRectangle, color: Color, opacity: Double = 1) {
        let area = rectangle.intersection(clip)
        for y in area.y..<area.maxY {
            for x in area.x..<area.maxX { blendPixel(x: x, y: y, color, opacity: opacity) }
        }
    }

    /// Draws the outline of `rectangle`, `lineWidth` pixels thick, inside its bounds.
    public mutating func strokeRectangle(_ rectangle: PixelRectangle, color: Color, lineWidth: Int = 1) {
        let r = rectangle, t = max(1, min(lineWidth, (min(r.width, r.height) + 1) / 2))
        fillRectangle(PixelRectangle(x: r.x, y: r.y, width: r.width, height: t), color: color)
        fillRectangle(PixelRectangle(x: r.x, y: r.maxY - t, width: r.width, height: t), color: color)
        fillRectangle(PixelRectangle(x: r.x, y: r.y + t, width: t, height: r.height - 2 * t), color: color)
        fillRectangle(PixelRectangle(x: r.maxX - t, y: r.y + t, width: t, height: r.height - 2 * t), color: color)
    }

    /// Fills a disc, anti-aliased at its edge.
    public mutating func fillDisc(center: SIMD2<Double>, radius: Double, color: Color, opacity: Double = 1) {
        guard radius > 0, center.x.isFinite, center.y.isFinite else { return }
        let x0 = max(clip.x, Int((center.x - radius - 1).rounded(.down)))
        let x1 = min(clip.maxX - 1, Int((center.x + radius + 1).rounded(.up)))
        let y0 = max(clip.y, Int((center.y - radius - 1).rounded(.down)))
        let y1 = min(clip.maxY - 1, Int((center.y + radius + 1).rounded(.up)))
        guard x0 <= x1, y0 <= y1 else { return }
        for y in y0...y1 {
            for x in x0...x1 {
                let dx = Double(x) + 0.5 - center.x, dy = Double(y) + 0.5 - center.y
                let coverage = min(1, max(0, radius + 0.5 - (dx * dx + dy * dy).squareRoot()))
                blendPixel(x: x, y: y, color, opacity: coverage * opacity)
            }
        }
    }

    /// Draws a circle outline of the given line width, anti-aliased.
    public mutating func strokeCircle(center: SIMD2<Double>, radius: Double, color: Color,
                                      lineWidth: Double = 1, opacity: Double = 1) {
        guard radius > 0, center.x.isFinite, center.y.isFinite else { return }
        let outer = radius + lineWidth / 2
        let x0 = max(clip.x, Int((center.x - outer - 1).rounded(.down)))
        let x1 = min(clip.maxX - 1, Int((center.x + outer + 1).rounded(.up)))
        let y0 = max(clip.y, Int((center.y - outer - 1).rounded(.down)))
        let y1 = min(clip.maxY - 1, Int((center.y + outer + 1).rounded(.up)))
        guard x0 <= x1, y0 <= y1 else { return }
        for y in y0...y1 {
            for x in x0...x1 {
                let dx = Double(x) + 0.5 - center.x, dy = Double(y) + 0.5 - center.y
                let distance = abs((dx * dx + dy * dy).squareRoot() - radius)
                let coverage = min(1, max(0, lineWidth / 2 + 0.5 - distance))
                blendPixel(x: x, y: y, color, opacity: coverage * opacity)
            }
        }
    }

    /// Draws a straight segment with round ends, `lineWidth` pixels wide.
    ///
    /// Anti-aliased: each pixel is covered by `clamp(lineWidth/2 + 0.5 - d, 0, 1)`, d being the
    /// distance from its centre to the segment. Without anti-aliasing, pixels with d ≤ lineWidth/2
    /// are set fully. Cost is proportional to length × width, not to the bounding box.
    public mutating func drawLine(from start: SIMD2<Double>, to end: SIMD2<Double>, color: Color,
                                  lineWidth: Double = 1, opacity: Double = 1, antialiased: Bool = true) {
        guard start.x.isFinite, start.y.isFinite, end.x.isFinite, end.y.isFinite, lineWidth > 0 else { return }
        let half = lineWidth / 2
        let delta = end - start
        let lengthSquared = (delta * delta).sum()
        // Walk along the major axis, one row or column at a time, covering a band around the line.
        let alongX = abs(delta.x) >= abs(delta.y)
        let reach = half + 1.5
        func distance(_ px: Double, _ py: Double) -> Double {
            let p = SIMD2(px, py) - start
            let t = lengthSquared > 0 ? min(1, max(0, (p * delta).sum() / lengthSquared)) : 0
            let offset = p - delta * t
            return (offset * offset).sum().squareRoot()
        }
        func paint(_ x: Int, _ y: Int) {
            let d = distance(Double(x) + 0.5, Double(y) + 0.5)
            if antialiased {
                blendPixel(x: x, y: y, color, opacity: min(1, max(0, half + 0.5 - d)) * opacity)
            } else if d <= max(half, 0.5) {
                blendPixel(x: x, y: y, color, opacity: opacity)
            }
        }
        let (major0, major1) = alongX ? (min(start.x, end.x), max(start.x, end.x)) : (min(start.y, end.y), max(start.y, end.y))
        let (clipLow, clipHigh) = alongX ? (clip.x, clip.maxX - 1) : (clip.y, clip.maxY - 1)
        let first = max(clipLow, Int((major0 - reach).rounded(.down)))
        let last = min(clipHigh, Int((major1 + reach).rounded(.up)))
        guard first <= last else { return }
        let majorDelta = alongX ? delta.x : delta.y, minorDelta = alongX ? delta.y : delta.x
        let majorStart = alongX ? start.x : start.y, minorStart = alongX ? start.y : start.x
        let slope = majorDelta != 0 ? minorDelta / majorDelta : 0
        let band = reach * (1 + abs(slope))
        for major in first...last {
            let centre = Double(major) + 0.5
            let t = min(max(centre, major0), major1) - majorStart
            let minorCentre = minorStart + slope * t
            let low = Int((minorCentre - band).rounded(.down)), high = Int((minorCentre + band).rounded(.up))
            for minor in low...high {
                if alongX { paint(major, minor) } else { paint(minor, major) }
            }
        }
    }

    /// Draws connected segments through `points` (non-finite points break the line).
    public mutating func drawPolyline(_ points: [SIMD2<Double>], color: Color, lineWidth: Double = 1,
                                      opacity: Double = 1) {
        guard points.count >= 2 else { return }
        for index in 1..<points.count {
            drawLine(from: points[index - 1], to: points[index], color: color, lineWidth: lineWidth, opacity: opacity)
        }
    }

    /// Fills a polygon (convex or not, even-odd rule) by scanlines through pixel centres:
    /// a pixel is painted when its centre is inside. Not anti-aliased.
    public mutating func fillPolygon(_ vertices: [SIMD2<Double>], color: Color, opacity: Double = 1) {
        guard vertices.count >= 3, vertices.allSatisfy({ $0.x.isFinite && $0.y.isFinite }) else { return }
        let minY = vertices.map(\.y).min()!, maxY = vertices.map(\.y).max()!
        let rowStart = max(clip.y, Int((minY - 0.5).rounded(.up)))
        let rowEnd = min(clip.maxY - 1, Int((maxY - 0.5).rounded(.down)))
        guard rowStart <= rowEnd else { return }
        var crossings: [Double] = []
        for row in rowStart...rowEnd {
            let scanY = Double(row) + 0.5
            crossings.removeAll(keepingCapacity: true)
            for index in vertices.indices {
                let a = vertices[index], b = vertices[(index + 1) % vertices.count]
                // Half-open rule on y so a vertex on the scanline is counted once.
                if (a.y <= scanY && b.y > scanY) || (b.y <= scanY && a.y > scanY) {
                    crossings.append(a.x + (scanY - a.y) / (b.y - a.y) * (b.x - a.x))
                }
            }
            crossings.sort()
            var pair = 0
            while pair + 1 < crossings.count {
                // Pixels whose centre x + 0.5 lies in [left, right).
                let first = max(clip.x, Int((crossings[pair] - 0.5).rounded(.up)))
                let last = min(clip.maxX - 1, Int((crossings[pair + 1] - 0.5).rounded(.up)) - 1)
                if first <= last {
                    for x in first...last { blendPixel(x: x, y: row, color, opacity: opacity) }
                }
                pair += 2
            }
        }
    }

    /// Draws `marker` centred at `center`; `size` is the diameter (disc) or side (square...).
    public mutating func drawMarker(_ marker: Marker, center: SIMD2<Double>, size: Double, color: Color,
                                    opacity: Double = 1) {
        let r = size / 2
        switch marker {
        case .disc:
            fillDisc(center: center, radius: r, color: color, opacity: opacity)
        case .ring:
            strokeCircle(center: center, radius: max(0.5, r - 0.75), color: color, lineWidth: 1.5, opacity: opacity)
        case .square:
            fillPolygon([center + SIMD2(-r, -r), center + SIMD2(r, -r), center + SIMD2(r, r), center + SIMD2(-r, r)],
                        color: color, opacity: opacity)
        case .triangle:
            let h = r * 1.15
            fillPolygon([center + SIMD2(0, -h), center + SIMD2(h * 0.866, h * 0.5), center + SIMD2(-h * 0.866, h * 0.5)],
                        color: color, opacity: opacity)
        case .cross:
            let width = max(1, size / 4)
            drawLine(from: center + SIMD2(-r, -r), to: center + SIMD2(r, r), color: color, lineWidth: width, opacity: opacity)
            drawLine(from: center + SIMD2(-r, r), to: center + SIMD2(r, -r), color: color, lineWidth: width, opacity: opacity)
        case .plus:
            let width = max(1, size / 4)
            drawLine(from: center + SIMD2(-r, 0), to: center + SIMD2(r, 0), color: color, lineWidth: width, opacity: opacity)
            drawLine(from: center + SIMD2(0, -r), to: center + SIMD2(0, r), color: color, lineWidth: width, opacity: opacity)
        }
    }

    /// Copies `image` with its top-left corner at (`x`, `y`) (grey images become grey RGB).
    public mutating func drawImage(_ image: RasterImage, x: Int, y: Int) {
        let target = PixelRectangle(x: x, y: y, width: image.width, height: image.height).intersection(clip)
        for row in target.y..<target.maxY {
            for column in target.x..<target.maxX {
                let sample = ((row - y) * image.width + (column - x)) * image.channels
                let index = (row * width + column) * 3
                if image.channels == 3 {
                    pixels[index] = image.pixels[sample]
                    pixels[index + 1] = image.pixels[sample + 1]
                    pixels[index + 2] = image.pixels[sample + 2]
                } else {
                    let value = image.pixels[sample]
                    pixels[index] = value; pixels[index + 1] = value; pixels[index + 2] = value
                }
            }
        }
    }
}
