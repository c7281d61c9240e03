import Foundation

/// The steps the reference solver needs to reach a tolerance, measured once by a full run
/// (`latentot-bench --full`, i.e. `make bench FULL=1`) and kept in `bench/baseline-steps.json`
/// beside the bench, with its date and commit. The default run measures the baseline's time per
/// step and multiplies it by these steps.
struct BaselineRecord: Codable {
    /// Identifies the problem and the tolerance (codes, M, d, criterion).
    var key: String
    var problem: String
    var tolerance: String
    /// Steps taken when an evaluation on fresh points first met the tolerance.
    var steps: Int
    /// Σ points over those steps / the first step's points: the run's cost in first-step units
    /// (steps cost more after the point count doubles).
    var stepEquivalents: Double
    var initialPoints: Int
    var finalPoints: Int
    /// The error of the evaluation that met the tolerance (or the last one, when not reached).
    var finalError: Double
    var reached: Bool
    /// Seconds of the reference's steps in the full run (evaluations excluded).
    var measuredSeconds: Double
    var secondsPerFirstStep: Double
    /// Whether the reference stopped by its own rule (`‖g‖₂ < 2e-3`).
    var stoppedOnGradient: Bool?
    var date: String
    var commit: String
    var cpu: String
    /// (step, points per evaluation, error) of every evaluation of the full run.
    var evaluations: [[Double]]
}

/// The file of records, keyed by `BaselineRecord.key`.
struct BaselineRecordFile: Codable {
    var note = "Written by `latentot-bench --full` (make bench FULL=1): the reference solver run to the tolerance; read by the default run."
    var records: [BaselineRecord] = []

    static var defaultURL: URL { BenchEnvironment.benchFolder.appendingPathComponent("baseline-steps.json") }

    static func load(_ url: URL) -> BaselineRecordFile {
        guard let data = try? Data(contentsOf: url),
              let file = try? JSONDecoder().decode(BaselineRecordFile.self, from: data) else { return BaselineRecordFile() }
        return file
    }

    func record(for key: String) -> BaselineRecord? { records.first { $0.key == key } }

    /// Replaces the record of the same key (re-reading the file first, so records written
    /// meanwhile by another run are kept) and writes the file atomically.
    static func upsert(_ record: BaselineRecord, at url: URL) throws {
        var file = load(url)
        file.records.removeAll { $0.key == record.key }
        file.records.append(record)
        file.records.sort { $0.key < $1.key }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try encoder.encode(file).write(to: url, options: .atomic)
    }
}
