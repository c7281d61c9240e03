import TensorModule

/// Tiles many small images into one picture: samples of a generator, reconstructions next to
/// originals, plots side by side.
public enum ImageGrid {
    /// Lays out `images` ([n,c,h,w], c = 1 or 3, values in [0,1]) in rows of `columns`, left to
    /// right then top to bottom, `padding` pixels of `background` between images and around the edge.
    ///
    /// Image k lands with its top-left corner at x = padding + (k mod columns)·(w + padding),
    /// y = padding + (k div columns)·(h + padding). The grid is
    /// `columns·(w + padding) + padding` wide and `rows·(h + padding) + padding` tall with
    /// `rows = ⌈n / columns⌉`; unused cells of the last row stay background. Values are mapped
    /// to bytes as in `RasterImage(tensor:)`.
    public static func make(images: Tensor, columns: Int, padding: Int = 2, background: UInt8 = 255) -> RasterImage {
        precondition(images.rank == 4 && (images.shape[1] == 1 || images.shape[1] == 3),
                     "ImageGrid.make: images must be [n,c,h,w] with c = 1 or 3, got \(images.shape)")
        precondition(columns >= 1 && padding >= 0, "ImageGrid.make: columns \(columns) must be ≥ 1, padding \(padding) ≥ 0")
        let n = images.shape[0], c = images.shape[1], h = images.shape[2], w = images.shape[3]
        let rows = (n + columns - 1) / columns
        let gridWidth = columns * (w + padding) + padding, gridHeight = rows * (h + padding) + padding
        var pixels = [UInt8](repeating: background, count: gridWidth * gridHeight * c)
        let plane = h * w
        images.scalars.withUnsafeBufferPointer { source in
            for k in 0..<n {
                let left = padding + (k % columns) * (w + padding), top = padding + (k / columns) * (h + padding)
                for channel in 0..<c {
                    let base = (k * c + channel) * plane
                    for y in 0..<h {
                        for x in 0..<w {
                            pixels[((top + y) * gridWidth + left + x) * c + channel] =
                                RasterImage.byte(fromUnit: source[base + y * w + x])
                        }
                    }
                }
            }
        }
        return RasterImage(width: gridWidth, height: gridHeight, channels: c, pixels: pixels)
    }

    /// Rows of images with a text label at the left of each row (e.g. "data", "AE", "AE-OT").
    ///
    /// Row r holds the images of `rows[r]` ([n_r,c,h,w], all with the same c, h, w); labels are
    /// drawn in the built-in font at `textScale`, in black on a light background or white on a
    /// dark one, vertically centred on their row. The label column is as wide as the widest label
    /// plus `padding` on each side; the images then follow as in `make(images:columns:...)` with
    /// `columns` = the longest row. The result has the images' channel count.
    public static func make(rows: [Tensor], labels: [String], padding: Int = 2, background: UInt8 = 255,
                            textScale: Int = 1) -> RasterImage {
        precondition(rows.count == labels.count, "ImageGrid.make(rows:labels:): \(rows.count) rows, \(labels.count) labels")
        precondition(!rows.isEmpty, "ImageGrid.make(rows:labels:): needs at least one row")
        let shape = rows[0].shape
        precondition(rows.allSatisfy { $0.rank == 4 && Array($0.shape.dropFirst()) == Array(shape.dropFirst()) },
                     "ImageGrid.make(rows:labels:): every row must be [n,c,h,w] with the same c,h,w; got \(rows.map(\.shape))")
        let c = shape[1], h = shape[2], w = shape[3]
        let columns = max(1, rows.map { $0.shape[0] }.max()!)
        let labelWidth = (labels.map { Canvas.textSize($0, scale: textScale).width }.max() ?? 0)
        let labelColumn = labelWidth > 0 ? labelWidth + 2 * max(padding, 4) : 0
        let gridWidth = labelColumn + columns * (w + padding) + padding
        let rowHeight = h + padding
        let gridHeight = rows.count * rowHeight + padding
        var canvas = Canvas(width: gridWidth, height: gridHeight, background: Color(grey: background))
        let textColor: Color = background >= 128 ? .black : .white
        for (r, row) in rows.enumerated() {
            if row.shape[0] > 0 {
                let strip = make(images: row, columns: row.shape[0], padding: padding, background: background)
                // The strip has padding on all sides; place it so its own padding forms the gaps.
                canvas.drawImage(strip, x: labelColumn, y: r * rowHeight)
            }
            let middle = r * rowHeight + padding + h / 2
            canvas.drawText(labels[r], at: (max(padding, 4), middle), color: textColor, scale: textScale, anchor: .middleLeft)
        }
        let image = canvas.image
        return c == 1 ? image.converted(toChannels: 1) : image
    }

    /// Places images side by side, `columns` per row (all in one row when nil), each in a cell
    /// as large as the largest image, top-left aligned, `spacing` pixels apart. Grey images are
    /// made RGB when any image is RGB.
    public static func panels(_ images: [RasterImage], columns: Int? = nil, spacing: Int = 0,
                              background: UInt8 = 255) -> RasterImage {
        precondition(!images.isEmpty, "ImageGrid.panels: needs at least one image")
        let perRow = max(1, min(columns ?? images.count, images.count))
        let cellWidth = images.map(\.width).max()!, cellHeight = images.map(\.height).max()!
        let rowCount = (images.count + perRow - 1) / perRow
        let totalWidth = perRow * cellWidth + (perRow - 1) * spacing
        let totalHeight = rowCount * cellHeight + (rowCount - 1) * spacing
        var canvas = Canvas(width: totalWidth, height: totalHeight, background: Color(grey: background))
        for (k, image) in images.enumerated() {
            canvas.drawImage(image, x: (k % perRow) * (cellWidth + spacing), y: (k / perRow) * (cellHeight + spacing))
        }
        let result = canvas.image
        return images.allSatisfy({ $0.channels == 1 }) ? result.converted(toChannels: 1) : result
    }
}
