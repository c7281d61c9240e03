import TensorModule

/// Shared test helpers.
public enum TestSupport {
    /// Largest absolute difference between two equal-length arrays.
    public static func maxAbsDifference(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "maxAbsDifference: lengths \(a.count) and \(b.count)")
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    /// A fresh folder under the system temporary directory, unique per call.
    public static func temporaryFolder(_ label: String = "latentot-test") -> String {
        "/tmp/\(label)-\(UInt64.random(in: 0..<UInt64.max))"
    }
}
