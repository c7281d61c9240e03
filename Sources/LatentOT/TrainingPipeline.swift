import Foundation
import TensorModule
import NeuralNet
import Transport
import Datasets

/// `latentot train`: autoencoder → codes → normalisation → semi-discrete OT → model folder, plus the
/// baselines. Every stage leaves its files complete before the next starts, and a re-run skips
/// finished stages (the autoencoder also resumes mid-training from its last epoch).
public struct TrainingPipeline {
    public var configuration: PipelineConfiguration

    /// Solves the OT stage in place of `TransportJob.run` in this process (nil: that). `latentot
    /// train --distributed` passes one that solves across the ranks of an MPI job.
    public var transportSolver: TransportSolver?

    /// Gets the job the pipeline would run (solver, source, normalisation), the codes after
    /// duplicates are merged (row-major M×d), their weights (nil: uniform) and the seed, and
    /// returns what `job.run` returns (the distributed solver: the same heights, bit for bit, for
    /// `method = .adam`). It reports its own progress: no `.transport` events are sent for it.
    public typealias TransportSolver = (_ job: TransportJob, _ codes: [Float], _ dimension: Int, _ weights: [Double]?,
                                        _ seed: UInt64) throws -> TransportStageResult

    public struct TransportStageResult {
        public var solution: TransportSolutionFiles
        public var report: TransportReport
        /// The bytes of `report.json` when they are not `report`'s own encoding (more keys).
        public var reportFile: Data?

        public init(solution: TransportSolutionFiles, report: TransportReport, reportFile: Data? = nil) {
            self.solution = solution
            self.report = report
            self.reportFile = reportFile
        }
    }

    public init(configuration: PipelineConfiguration, transportSolver: TransportSolver? = nil) {
        self.configuration = configuration
        self.transportSolver = transportSolver
    }

    public enum Event {
        case stageStarted(String)
        case stageSkipped(String)
        case autoencoder(label: String, AutoencoderTrainingJob.Event)
        case transport(SolverProgress)
        case note(String)
    }

    public struct Result {
        public var autoencoder: AutoencoderModel
        public var autoencoderReport: AutoencoderTrainingReport
        public var transport: TransportSolutionFiles
        public var transportReport: TransportReport
        public var vae: AutoencoderModel?
    }

    public func run(train: ImageDataset, test: ImageDataset, store: ArtifactStore, events: (Event) -> Void = { _ in }) throws -> Result {
        if let existing = try store.read(ModelFiles.configuration) {
            let previous: PipelineConfiguration
            do { previous = try JSONDecoder().decode(PipelineConfiguration.self, from: existing) } catch {
                throw LatentOTError.corruptFile(store.describe(ModelFiles.configuration), reason: JSONCoding.reason(error))
            }
            guard previous == configuration else {
                throw LatentOTError.incompatible(store.describe(ModelFiles.configuration),
                                                 reason: "this folder holds a model trained with other settings; choose a new --out (or repeat the original command to resume)")
            }
        } else {
            try store.writeJSON(configuration, named: ModelFiles.configuration)
        }

        // 1. Autoencoder (resumes from its checkpoint).
        events(.stageStarted("autoencoder"))
        let job = AutoencoderTrainingJob(modelConfiguration: configuration.autoencoder, trainerConfiguration: configuration.training,
                                         prefix: ModelFiles.autoencoder)
        let (autoencoder, autoencoderReport) = try job.run(train: train, test: test, store: store, resume: true) {
            events(.autoencoder(label: "autoencoder", $0))
        }

        // 2. Codes and transport (skipped when the heights exist).
        let transport: TransportSolutionFiles, transportReport: TransportReport
        if try store.read(ModelFiles.transport + TransportSolutionFiles.heights) != nil {
            events(.stageSkipped("transport"))
            transport = try TransportSolutionFiles.load(from: store, prefix: ModelFiles.transport)
            transportReport = try store.readJSON(TransportReport.self, named: ModelFiles.transport + TransportSolutionFiles.report)
        } else {
            events(.stageStarted("transport"))
            let codes = autoencoder.codes(train.images)
            let merged = CodeDeduplication.merge(codes.scalars, dimension: configuration.autoencoder.latentDimension)
            if merged.duplicateCount > 0 { events(.note("merged \(merged.duplicateCount) duplicate codes into their twins' cells")) }
            let transportJob = TransportJob(solver: configuration.solver, source: configuration.source)
            let dimension = configuration.autoencoder.latentDimension
            let weights = merged.duplicateCount > 0 ? merged.weights : nil
            var reportFile: Data? = nil
            if let transportSolver {
                let result = try transportSolver(transportJob, merged.codes, dimension, weights, configuration.seed)
                (transport, transportReport, reportFile) = (result.solution, result.report, result.reportFile)
            } else {
                (transport, transportReport) = try withoutActuallyEscaping(events) { report in
                    try transportJob.run(codes: merged.codes, dimension: dimension, weights: weights, seed: configuration.seed) {
                        report(.transport($0))
                    }
                }
            }
            try transport.save(to: store, prefix: ModelFiles.transport, report: transportReport, reportFile: reportFile)
        }

        // 3. Baselines.
        var vae: AutoencoderModel? = nil
        if configuration.baselines.contains("vae") {
            events(.stageStarted("vae"))
            let vaeJob = AutoencoderTrainingJob(modelConfiguration: configuration.vaeConfiguration, trainerConfiguration: configuration.training,
                                                prefix: ModelFiles.vae)
            vae = try vaeJob.run(train: train, test: test, store: store, resume: true) { events(.autoencoder(label: "vae", $0)) }.model
        }
        return Result(autoencoder: autoencoder, autoencoderReport: autoencoderReport, transport: transport,
                      transportReport: transportReport, vae: vae)
    }
}
