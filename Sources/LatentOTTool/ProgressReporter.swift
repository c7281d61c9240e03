import Foundation
import Transport

/// Shows long work: a redrawn bar with rate and ETA on a terminal, plain log lines otherwise
/// (at most one every `logInterval` seconds, so CI logs stay short).
final class ProgressReporter {
    private let label: String
    private let total: Int
    private let unit: String
    private let isTerminal = isatty(fileno(stderr)) != 0
    private let start = Date()
    private var lastPrint = Date.distantPast
    private let logInterval: TimeInterval
    /// A wall-clock budget in seconds: the ETA never exceeds what is left of it.
    private let budget: Double?
    /// `total` is only a cap (a solver's step limit; it usually stops long before): no ETA can be
    /// told from it, so the line shows the elapsed time (and what is left of a budget) instead.
    private let totalIsLimit: Bool

    init(_ label: String, total: Int, unit: String = "it", logInterval: TimeInterval = 5, budget: Double? = nil,
         totalIsLimit: Bool = false) {
        self.label = label
        self.budget = budget
        self.totalIsLimit = totalIsLimit
        self.total = max(total, 1)
        self.unit = unit
        self.logInterval = logInterval
    }

    /// Reports that `done` of `total` units are finished, with an optional status text.
    func update(_ done: Int, status: String = "") {
        let now = Date()
        let finished = done >= total
        guard finished || now.timeIntervalSince(lastPrint) >= (isTerminal ? 0.1 : logInterval) else { return }
        lastPrint = now
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var remaining = rate > 0 ? Double(total - done) / rate : 0
        if let budget { remaining = min(remaining, max(0, budget - elapsed)) }
        let fraction = Double(done) / Double(total)
        let figures: String
        if totalIsLimit {
            if finished {
                figures = String(format: "done in %@", Self.duration(elapsed))
            } else {
                figures = String(format: "%d %@s %.1f %@/s elapsed %@", done, unit, rate, unit, Self.duration(elapsed))
                    + (budget.map { String(format: ", at most %@ left", Self.duration(max(0, $0 - elapsed))) } ?? "")
            }
        } else {
            figures = String(format: "%d/%d %@ %.1f %@/s ETA %@", done, total, "", rate, unit, Self.duration(remaining))
                .replacingOccurrences(of: "  ", with: " ")
        }
        if isTerminal {
            let width = 24, filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            FileHandle.standardError.write("\r\u{1B}[K\(label) \(bar) \(figures) \(status)".data(using: .utf8)!)
            if finished { FileHandle.standardError.write("\n".data(using: .utf8)!) }
        } else {
            FileHandle.standardError.write("\(label): \(figures) \(status)\n".data(using: .utf8)!)
        }
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s / 60 % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}

extension SolverProgress {
    /// The solver's figures for a progress line: the step's own error (its points, or the fixed
    /// set's fit) and the latest independent evaluation on fresh points; the exact planar method's
    /// errors are exact (no points).
    var statusText: String {
        if record.pointsPerStep == 0 {
            return String(format: "rms %.3g max %.3g (exact cells)", record.rmsRelativeError, record.maxRelativeError)
        }
        var text = String(format: "step rms %.3f (N=%d)", record.rmsRelativeError, record.pointsPerStep)
        if let evaluation = latestEvaluation {
            text += String(format: ", fresh rms %.3f max %.3f", evaluation.rmsRelativeError, evaluation.maxRelativeError)
        }
        return text
    }
}

/// A line on standard error (progress and notes; results go to files and standard output).
func log(_ message: String) {
    FileHandle.standardError.write((message + "\n").data(using: .utf8)!)
}
