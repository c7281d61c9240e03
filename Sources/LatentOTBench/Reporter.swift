import Foundation

/// One row of the final table: a measurement of LatentOT against the baseline measured in the same
/// run, and their ratio (what to read: absolute times move from run to run on these machines).
struct TableRow {
    var benchCase: Int
    var measure: String
    var latentOT: String
    var baseline: String
    /// e.g. "0.81× time" or "12.3× faster"; "—" when there is no baseline.
    var ratio: String
}

/// Prints one JSON line per case on standard output and the table at the end.
final class Reporter {
    private(set) var rows: [TableRow] = []
    private(set) var lines: [[String: Any]] = []

    /// Prints `{"case": n, "name": ..., ...fields}` as one line of sorted-key JSON.
    func emit(case number: Int, name: String, _ fields: [String: Any]) {
        var object = fields
        object["case"] = number
        object["name"] = name
        lines.append(object)
        print(Reporter.json(object))
        fflush(stdout)
    }

    func row(_ benchCase: Int, _ measure: String, latentOT: String, baseline: String, ratio: String) {
        rows.append(TableRow(benchCase: benchCase, measure: measure, latentOT: latentOT, baseline: baseline, ratio: ratio))
    }

    /// The table as Markdown (also what `docs/benchmarks.md` quotes).
    func table() -> String {
        var text = "| case | measure | LatentOT | baseline (same run) | ratio |\n|---|---|---|---|---|\n"
        for row in rows {
            text += "| \(row.benchCase) | \(row.measure) | \(row.latentOT) | \(row.baseline) | \(row.ratio) |\n"
        }
        return text
    }

    /// Sorted-key JSON of plain values (numbers, strings, booleans, arrays, dictionaries); non-finite
    /// numbers become null.
    static func json(_ value: Any) -> String {
        let cleaned = sanitise(value)
        guard let data = try? JSONSerialization.data(withJSONObject: cleaned, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "{\"error\": \"unserialisable\"}"
        }
        return String(decoding: data, as: UTF8.self)
    }

    private static func sanitise(_ value: Any) -> Any {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return NSNull() }
            return sanitise(wrapped)
        }
        switch value {
        case let number as Double: return number.isFinite ? number : NSNull()
        case let number as Float: return number.isFinite ? Double(number) : NSNull()
        case let dictionary as [String: Any]: return dictionary.mapValues { sanitise($0) }
        case let array as [Any]: return array.map { sanitise($0) }
        default: return value
        }
    }
}

/// "0.81×" style ratios.
func times(_ value: Double?) -> String {
    guard let value, value.isFinite else { return "—" }
    return format(value) + "×"
}
