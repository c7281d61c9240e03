import Foundation

/// The map from data coordinates to pixel coordinates of one plot, exposed so callers and tests
/// can place annotations or check where a point lands.
///
/// `xRange` spans the plot area from its left edge to its right edge and `yRange` from its
/// bottom edge to its top edge (y grows upwards in data, downwards in pixels). Pixel coordinates
/// are continuous: the pixel in column i, row j covers [i, i+1) × [j, j+1).
/// On a logarithmic axis positions are linear in log10 of the value; values ≤ 0 have no position
/// (their pixel coordinate is not finite and nothing is drawn).
public struct PlotTransform: Equatable, Sendable {
    /// The plot area (inside the axes) in pixels.
    public var area: PixelRectangle
    public var xRange: ClosedRange<Double>
    public var yRange: ClosedRange<Double>
    public var xScale: AxisScale
    public var yScale: AxisScale

    public init(area: PixelRectangle, xRange: ClosedRange<Double>, yRange: ClosedRange<Double>,
                xScale: AxisScale = .linear, yScale: AxisScale = .linear) {
        precondition(xScale == .linear || xRange.lowerBound > 0, "PlotTransform: log x range must be positive, got \(xRange)")
        precondition(yScale == .linear || yRange.lowerBound > 0, "PlotTransform: log y range must be positive, got \(yRange)")
        self.area = area
        self.xRange = xRange
        self.yRange = yRange
        self.xScale = xScale
        self.yScale = yScale
    }

    /// Fraction of the way from the low end to the high end of `range` (unbounded outside it).
    private static func fraction(_ value: Double, _ range: ClosedRange<Double>, _ scale: AxisScale) -> Double {
        switch scale {
        case .linear:
            let span = range.upperBound - range.lowerBound
            return span > 0 ? (value - range.lowerBound) / span : 0.5
        case .logarithmic:
            guard value > 0 else { return -.infinity }
            let low = log10(range.lowerBound), span = log10(range.upperBound) - low
            return span > 0 ? (log10(value) - low) / span : 0.5
        }
    }

    private static func value(atFraction t: Double, _ range: ClosedRange<Double>, _ scale: AxisScale) -> Double {
        switch scale {
        case .linear: return range.lowerBound + t * (range.upperBound - range.lowerBound)
        case .logarithmic:
            return pow(10, log10(range.lowerBound) + t * (log10(range.upperBound) - log10(range.lowerBound)))
        }
    }

    /// Horizontal pixel coordinate of data x.
    public func pixelX(_ x: Double) -> Double {
        Double(area.x) + PlotTransform.fraction(x, xRange, xScale) * Double(area.width)
    }

    /// Vertical pixel coordinate of data y (the top of the area is `yRange.upperBound`).
    public func pixelY(_ y: Double) -> Double {
        Double(area.maxY) - PlotTransform.fraction(y, yRange, yScale) * Double(area.height)
    }

    /// Pixel coordinates of a data point.
    public func pixel(_ point: SIMD2<Double>) -> SIMD2<Double> { SIMD2(pixelX(point.x), pixelY(point.y)) }

    /// The whole pixel (column, row) containing the data point.
    public func pixelIndex(_ point: SIMD2<Double>) -> (x: Int, y: Int) {
        let p = pixel(point)
        return (Int(p.x.rounded(.down)), Int(p.y.rounded(.down)))
    }

    /// Data coordinates of a pixel position (the inverse of `pixel`).
    public func dataPoint(atPixel pixel: SIMD2<Double>) -> SIMD2<Double> {
        let tx = (pixel.x - Double(area.x)) / Double(max(1, area.width))
        let ty = (Double(area.maxY) - pixel.y) / Double(max(1, area.height))
        return SIMD2(PlotTransform.value(atFraction: tx, xRange, xScale),
                     PlotTransform.value(atFraction: ty, yRange, yScale))
    }
}
