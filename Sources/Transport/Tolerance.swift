/// When a solve counts as converged, judged on fresh evaluation points (`CellErrorEstimate`), or on
/// the exact cells where the solver has them (`SolverMethod.exactNewton`).
///
/// Every criterion that is set must hold; with none set the solver never converges and stops on its
/// iteration or time budget. The maximum relative error is a sound criterion only when the
/// evaluation has thousands of points per cell (its counting noise is about `3.5·sqrt(M/N)`); the
/// noise-corrected RMS is usable at any `N/M`.
public struct Tolerance: Codable, Sendable, Equatable, CustomStringConvertible {
    /// Bound on `max_i |r_i|`.
    public var maxRelativeError: Double?
    /// Bound on the noise-corrected RMS of `r_i`.
    public var rmsRelativeError: Double?

    public init(maxRelativeError: Double? = nil, rmsRelativeError: Double? = nil) {
        self.maxRelativeError = maxRelativeError
        self.rmsRelativeError = rmsRelativeError
    }

    /// Converged when `max_i |r_i| ≤ value`.
    public static func maxRelativeError(_ value: Double) -> Tolerance { Tolerance(maxRelativeError: value) }
    /// Converged when the noise-corrected RMS relative error is `≤ value`.
    public static func rmsRelativeError(_ value: Double) -> Tolerance { Tolerance(rmsRelativeError: value) }
    /// Never converged: run to the iteration or time budget.
    public static let none = Tolerance()

    /// Whether every criterion that is set holds for `estimate`.
    public func isSatisfied(by estimate: CellErrorEstimate) -> Bool {
        if maxRelativeError == nil && rmsRelativeError == nil { return false }
        if let bound = maxRelativeError, !(estimate.maxRelativeError <= bound) { return false }
        if let bound = rmsRelativeError, !(estimate.rmsRelativeError <= bound) { return false }
        return true
    }

    public var description: String {
        var parts: [String] = []
        if let maxRelativeError { parts.append("max relative error ≤ \(maxRelativeError)") }
        if let rmsRelativeError { parts.append("RMS relative error ≤ \(rmsRelativeError)") }
        return parts.isEmpty ? "none" : parts.joined(separator: " and ")
    }
}
