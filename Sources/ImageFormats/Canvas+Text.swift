/// Where a text box sits relative to the anchor point given to `Canvas.drawText`.
public struct TextAnchor: Equatable, Hashable, Sendable {
    public enum Horizontal: Equatable, Hashable, Sendable { case left, center, right }
    public enum Vertical: Equatable, Hashable, Sendable { case top, middle, bottom }
    public var horizontal: Horizontal
    public var vertical: Vertical

    public init(_ horizontal: Horizontal, _ vertical: Vertical) {
        self.horizontal = horizontal
        self.vertical = vertical
    }

    public static let topLeft = TextAnchor(.left, .top)
    public static let topCenter = TextAnchor(.center, .top)
    public static let topRight = TextAnchor(.right, .top)
    public static let middleLeft = TextAnchor(.left, .middle)
    public static let center = TextAnchor(.center, .middle)
    public static let middleRight = TextAnchor(.right, .middle)
    public static let bottomLeft = TextAnchor(.left, .bottom)
    public static let bottomCenter = TextAnchor(.center, .bottom)
    public static let bottomRight = TextAnchor(.right, .bottom)
}

/// Text reading left to right, or rotated a quarter turn to read bottom to top (y-axis labels).
public enum TextDirection: Equatable, Hashable, Sendable {
    case horizontal, upward
}

extension Canvas {
    /// Width and height in pixels of one line of `text` drawn horizontally at `scale`: each
    /// glyph advances 6·scale pixels (the last one's trailing space not counted) and lines are
    /// 8·scale pixels tall, descenders included.
    public static func textSize(_ text: String, scale: Int = 1) -> (width: Int, height: Int) {
        let count = text.count
        return (count == 0 ? 0 : (count * BitmapFont.advance - 1) * scale, BitmapFont.glyphHeight * scale)
    }

    /// The rectangle `drawText` fills (at most) for these arguments.
    public static func textBox(_ text: String, at point: (x: Int, y: Int), scale: Int = 1,
                               anchor: TextAnchor = .topLeft, direction: TextDirection = .horizontal) -> PixelRectangle {
        let size = textSize(text, scale: scale)
        let (boxWidth, boxHeight) = direction == .horizontal ? (size.width, size.height) : (size.height, size.width)
        let left: Int
        switch anchor.horizontal {
        case .left: left = point.x
        case .center: left = point.x - boxWidth / 2
        case .right: left = point.x - boxWidth
        }
        let top: Int
        switch anchor.vertical {
        case .top: top = point.y
        case .middle: top = point.y - boxHeight / 2
        case .bottom: top = point.y - boxHeight
        }
        return PixelRectangle(x: left, y: top, width: boxWidth, height: boxHeight)
    }

    /// Draws one line of text with the built-in 5×8 bitmap font, each font pixel a
    /// `scale`×`scale` square; the box (see `textBox`) is placed by `anchor` around `point`.
    public mutating func drawText(_ text: String, at point: (x: Int, y: Int), color: Color, scale: Int = 1,
                                  anchor: TextAnchor = .topLeft, direction: TextDirection = .horizontal) {
        precondition(scale >= 1, "Canvas.drawText: scale must be at least 1, got \(scale)")
        let box = Canvas.textBox(text, at: point, scale: scale, anchor: anchor, direction: direction)
        for (index, character) in text.enumerated() {
            let columns = BitmapFont.columns(for: character)
            for (column, bits) in columns.enumerated() where bits != 0 {
                for row in 0..<BitmapFont.glyphHeight where bits & (1 << row) != 0 {
                    // Font pixel (u, v) with u along the text and v down the glyph.
                    let u = index * BitmapFont.advance + column
                    let (left, top): (Int, Int)
                    switch direction {
                    case .horizontal: (left, top) = (box.x + u * scale, box.y + row * scale)
                    case .upward: (left, top) = (box.x + row * scale, box.maxY - (u + 1) * scale)
                    }
                    fillRectangle(PixelRectangle(x: left, y: top, width: scale, height: scale), color: color)
                }
            }
        }
    }
}
