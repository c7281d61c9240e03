import Testing
import TensorModule
import ImageFormats

/// n images of h×w×c where every value of image k is (k+1)/20, so bytes are 13, 26, 38, 51...
private func numberedImages(count: Int, channels: Int, height: Int, width: Int) -> Tensor {
    let each = channels * height * width
    return Tensor(shape: [count, channels, height, width],
                  scalars: (0..<(count * each)).map { Float($0 / each + 1) / 20 })
}

private func byte(forImage k: Int) -> UInt8 { UInt8((Float(k + 1) / 20 * 255).rounded()) }

@Test func gridPutsImageKAtItsCellWithPadding() {
    let (n, h, w, columns, padding) = (5, 2, 3, 3, 2)
    let grid = ImageGrid.make(images: numberedImages(count: n, channels: 1, height: h, width: w),
                              columns: columns, padding: padding, background: 255)
    #expect(grid.width == columns * (w + padding) + padding)        // 17
    #expect(grid.height == 2 * (h + padding) + padding)             // 10
    #expect(grid.channels == 1)
    // Which image (if any) owns each pixel, by the documented formula.
    for y in 0..<grid.height {
        for x in 0..<grid.width {
            var owner: Int?
            for k in 0..<n {
                let left = padding + (k % columns) * (w + padding), top = padding + (k / columns) * (h + padding)
                if x >= left && x < left + w && y >= top && y < top + h { owner = k }
            }
            let expected = owner.map(byte(forImage:)) ?? 255
            #expect(grid[x, y].first == expected, "pixel (\(x), \(y)) should be \(owner.map { "image \($0)" } ?? "padding")")
        }
    }
}

@Test func gridKeepsColourChannelsApart() {
    // One 1×1 RGB image: red 1, green 0, blue 0.5.
    let image = Tensor(shape: [1, 3, 1, 1], scalars: [1, 0, 0.5])
    let grid = ImageGrid.make(images: image, columns: 1, padding: 1, background: 0)
    #expect(grid.width == 3 && grid.height == 3 && grid.channels == 3)
    #expect(Array(grid[1, 1]) == [255, 0, 128])
    #expect(Array(grid[0, 0]) == [0, 0, 0])
}

@Test func labelledRowsPlaceImagesAfterTheLabelColumn() {
    let rows = [numberedImages(count: 3, channels: 1, height: 4, width: 4),
                numberedImages(count: 2, channels: 1, height: 4, width: 4)]
    let grid = ImageGrid.make(rows: rows, labels: ["data", "AE"], padding: 2, background: 255)
    #expect(grid.channels == 1)
    let labelColumn = Canvas.textSize("data").width + 2 * 4
    #expect(grid.width == labelColumn + 3 * (4 + 2) + 2)
    #expect(grid.height == 2 * (4 + 2) + 2)
    // First image of row 1 starts at (labelColumn + padding, rowHeight + padding).
    #expect(grid[labelColumn + 2, 6 + 2].first == byte(forImage: 0))
    #expect(grid[labelColumn + 2 + 6, 2].first == byte(forImage: 1))
    // Row 1 has only two images: the third cell is background.
    #expect(grid[labelColumn + 2 + 12, 6 + 2].first == 255)
    // Labels are drawn in black somewhere in the label column of each row.
    let darkInRow = { (top: Int) in
        (top..<(top + 6)).contains { y in (0..<labelColumn).contains { x in grid[x, y].first == 0 } }
    }
    #expect(darkInRow(0) && darkInRow(6))
}

@Test func panelsPlaceImagesInEqualCells() {
    let red = Canvas(width: 4, height: 3, background: Color(red: 255, green: 0, blue: 0)).image
    let grey = RasterImage(width: 2, height: 2, channels: 1, repeating: 50)
    let panels = ImageGrid.panels([red, grey, red], columns: 2, spacing: 1, background: 255)
    #expect(panels.width == 2 * 4 + 1 && panels.height == 2 * 3 + 1 && panels.channels == 3)
    #expect(Array(panels[0, 0]) == [255, 0, 0])
    #expect(Array(panels[5, 0]) == [50, 50, 50])          // second cell starts at x = 4 + 1
    #expect(Array(panels[7, 0]) == [255, 255, 255])       // beyond the smaller image
    #expect(Array(panels[0, 4]) == [255, 0, 0])           // third image, second row at y = 3 + 1
    #expect(Array(panels[4, 0]) == [255, 255, 255])       // the spacing column
}
