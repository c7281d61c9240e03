import Testing
import TensorModule
import ImageFormats

@Test func tensorToImageIsPlanarToInterleavedWithRounding() {
    // [3,2,2]: channel c, row y, column x holds (c·4 + y·2 + x)/11.
    let scalars = (0..<12).map { Float($0) / 11 }
    let image = RasterImage(tensor: Tensor(shape: [3, 2, 2], scalars: scalars))
    #expect(image.width == 2 && image.height == 2 && image.channels == 3)
    for y in 0..<2 {
        for x in 0..<2 {
            let expected = (0..<3).map { c in UInt8((Float(c * 4 + y * 2 + x) / 11 * 255).rounded()) }
            #expect(Array(image[x, y]) == expected, "pixel (\(x), \(y))")
        }
    }
}

@Test func tensorValuesAreClampedAndNaNBecomesZero() {
    let image = RasterImage(tensor: Tensor(shape: [1, 1, 6], scalars: [-1, 2, .nan, 0.5, 1.0 / 255 * 0.49, .infinity]))
    #expect(image.pixels == [0, 255, 0, 128, 0, 255])
}

@Test func twoDimensionalTensorIsGrey() {
    let image = RasterImage(tensor: Tensor(shape: [2, 3], scalars: [0, 0.2, 0.4, 0.6, 0.8, 1]))
    #expect(image.channels == 1 && image.width == 3 && image.height == 2)
    #expect(image.pixels == [0, 51, 102, 153, 204, 255])
}

@Test func imageTensorImageRoundTripIsExact() {
    let pixels = (0..<(5 * 4 * 3)).map { UInt8(($0 * 53) % 256) }
    let image = RasterImage(width: 5, height: 4, channels: 3, pixels: pixels)
    let tensor = image.tensor()
    #expect(tensor.shape == [3, 4, 5])
    #expect(tensor.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
    #expect(RasterImage(tensor: tensor) == image)
}

@Test func tensorImageTensorRoundTripIsWithinHalfAStep() {
    let scalars = (0..<(2 * 7)).map { Float(($0 * 37) % 101) / 100 }
    let tensor = Tensor(shape: [1, 2, 7], scalars: scalars)
    let back = RasterImage(tensor: tensor).tensor()
    #expect(back.shape == tensor.shape)
    // Quantising to 8 bits moves a value by at most half a step, 0.5/255.
    let worst = zip(back.scalars, tensor.scalars).map { abs($0 - $1) }.max()!
    #expect(worst <= 0.5 / 255 + 1e-6)
}

@Test func channelConversion() {
    let grey = RasterImage(width: 2, height: 1, channels: 1, pixels: [10, 200])
    let rgb = grey.converted(toChannels: 3)
    #expect(rgb.pixels == [10, 10, 10, 200, 200, 200])
    #expect(rgb.converted(toChannels: 1) == grey)
    let colour = RasterImage(width: 1, height: 1, channels: 3, pixels: [255, 0, 0])
    #expect(colour.converted(toChannels: 1).pixels == [76])      // 0.299·255 = 76.2
}
