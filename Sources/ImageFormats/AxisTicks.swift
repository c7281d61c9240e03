import Foundation

/// How an axis maps data values to positions.
public enum AxisScale: Equatable, Hashable, Sendable {
    /// Position proportional to the value.
    case linear
    /// Position proportional to log10 of the value; only positive values have a position.
    case logarithmic
}

/// Tick values a person would choose ("nice numbers": 1, 2 or 5 times a power of ten) and
/// their labels, for linear and logarithmic axes.
public enum AxisTicks {
    /// The step between ticks for about `targetCount` intervals over `span`:
    /// 1, 2, 5 or 10 times a power of ten (Heckbert's rounding thresholds 1.5, 3, 7).
    public static func niceStep(span: Double, targetCount: Int) -> Double {
        precondition(span > 0 && span.isFinite && targetCount >= 1,
                     "AxisTicks.niceStep: needs a positive finite span and count, got \(span), \(targetCount)")
        let raw = span / Double(targetCount)
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let residual = raw / magnitude
        let nice: Double = residual < 1.5 ? 1 : residual < 3 ? 2 : residual < 7 ? 5 : 10
        return nice * magnitude
    }

    /// Multiples of a nice step inside `range` (ends included), about `targetCount` intervals.
    /// A range of zero width gives its single value.
    public static func linear(in range: ClosedRange<Double>, targetCount: Int = 6) -> [Double] {
        let span = range.upperBound - range.lowerBound
        guard span > 0, span.isFinite else { return range.lowerBound.isFinite ? [range.lowerBound] : [] }
        let step = niceStep(span: span, targetCount: max(1, targetCount))
        let slack = step * 1e-9
        let first = ((range.lowerBound - slack) / step).rounded(.up)
        let last = ((range.upperBound + slack) / step).rounded(.down)
        guard first <= last else { return [] }
        // k·step as k·mantissa / 10^-e when the step is below 1, so 3·0.2 gives 0.6, not 0.6000000000000001.
        let exponent = log10(step).rounded(.down)
        let inverse = exponent < 0 ? pow(10, -exponent) : 1
        let mantissa = (step * inverse).rounded()
        return stride(from: first, through: last, by: 1).map { k in
            let value = exponent < 0 ? k * mantissa / inverse : k * step
            return abs(value) < slack ? 0 : value
        }
    }

    /// Ticks for a log10 axis over a positive `range`:
    /// - more than one decade: powers of ten (every second, third... decade when there are more
    ///   than `targetCount`);
    /// - at least half a decade: 1, 2 and 5 times powers of ten;
    /// - narrower: the linear nice ticks.
    public static func logarithmic(in range: ClosedRange<Double>, targetCount: Int = 6) -> [Double] {
        precondition(range.lowerBound > 0, "AxisTicks.logarithmic: range must be positive, got \(range)")
        let low = log10(range.lowerBound), high = log10(range.upperBound)
        let slack = 1e-9
        if high - low < log10(3) { return linear(in: range, targetCount: targetCount) }
        let firstDecade = Int((low - slack).rounded(.down)), lastDecade = Int((high + slack).rounded(.up))
        let powers = (firstDecade...lastDecade).filter { Double($0) >= low - slack && Double($0) <= high + slack }
        if powers.count >= 2 {
            let stride = max(1, Int((Double(powers.count - 1) / Double(max(1, targetCount))).rounded(.up)))
            return powers.filter { ($0 - powers[0]) % stride == 0 }.map { pow(10, Double($0)) }
        }
        var values: [Double] = []
        for decade in firstDecade...lastDecade {
            for mantissa in [1.0, 2, 5] {
                let value = mantissa * pow(10, Double(decade))
                let position = log10(value)
                if position >= low - slack && position <= high + slack { values.append(value) }
            }
        }
        return values
    }

    /// Ticks for `range` on an axis of the given scale.
    public static func ticks(in range: ClosedRange<Double>, scale: AxisScale, targetCount: Int = 6) -> [Double] {
        scale == .linear ? linear(in: range, targetCount: targetCount) : logarithmic(in: range, targetCount: targetCount)
    }

    /// Labels for a list of ticks, all with the same number of decimals (enough to tell
    /// neighbours apart). Values of magnitude ≥ 10⁶ or (nonzero) < 10⁻⁴ use the form `2.5e-7`.
    public static func labels(for ticks: [Double], scale: AxisScale = .linear) -> [String] {
        if scale == .logarithmic { return ticks.map { format($0, decimals: nil) } }
        let largest = ticks.map(abs).max() ?? 0
        let step = ticks.count >= 2 ? abs(ticks[1] - ticks[0]) : max(largest, 1)
        let smallestNonzero = ticks.map(abs).filter { $0 > 0 }.min() ?? 1
        if largest >= 1e6 || smallestNonzero < 1e-4 && step < 1e-4 {
            return ticks.map { scientific($0) }
        }
        let decimals = max(0, Int((-log10(step) - 1e-9).rounded(.up)))
        return ticks.map { format($0, decimals: decimals) }
    }

    /// `value` with `decimals` decimals, or as few as needed (up to 6 significant digits) when nil;
    /// magnitudes ≥ 10⁶ or < 10⁻⁴ are written `m e k` (e.g. `1e-5`, `2.5e7`). Never prints `-0`.
    public static func format(_ value: Double, decimals: Int?) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : value > 0 ? "inf" : "-inf" }
        if value == 0 { return decimals.map { String(format: "%.\($0)f", 0.0) } ?? "0" }
        let magnitude = abs(value)
        if magnitude >= 1e6 || magnitude < 1e-4 { return scientific(value) }
        let text: String
        if let decimals {
            text = String(format: "%.\(decimals)f", value)
        } else {
            text = trimmed(String(format: "%.6f", value))
        }
        let isNegativeZero = text.hasPrefix("-") && text.dropFirst().allSatisfy { $0 == "0" || $0 == "." }
        return isNegativeZero ? String(text.dropFirst()) : text
    }

    /// `m e k` with at most 3 significant digits in m and no trailing zeros: `1e-5`, `-2.5e7`.
    public static func scientific(_ value: Double) -> String {
        if value == 0 { return "0" }
        var exponent = Int(log10(abs(value)).rounded(.down))
        var mantissa = value / pow(10, Double(exponent))
        mantissa = (mantissa * 100).rounded() / 100
        if abs(mantissa) >= 10 { mantissa /= 10; exponent += 1 }
        return trimmed(String(format: "%.2f", mantissa)) + "e\(exponent)"
    }

    /// Removes trailing zeros after a decimal point, and the point itself if nothing follows.
    private static func trimmed(_ text: String) -> String {
        guard text.contains(".") else { return text }
        var result = text
        while result.hasSuffix("0") { result.removeLast() }
        if result.hasSuffix(".") { result.removeLast() }
        return result
    }
}
