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
        /// A step of the neural-potential baseline (done, total).
        case neuralPotential(step: Int, total: Int)
        case note(String)
    }

    public struct Result {
        public var autoencoder: AutoencoderModel
        public var autoencoderReport: AutoencoderTrainingReport
        public var transport: TransportSolutionFiles
        public var transportReport: TransportReport
        public var vae: AutoencoderModel?
        public var neuralPotential: NeuralPotentialGenerator?
    }

    public func run(train: ImageDataset, test: ImageDataset, store: ArtifactStore, events: (Event) -> Void = { _ in }) throws -> Result {
        if let existing = try store.read(ModelFiles.configuration) {
            let previous: PipelineConfiguration
            do { previous = try JSONDecoder().decode(PipelineConfiguration.self, from: existing) } catch {
                throw LatentOTError.corruptFile(store.describe(ModelFiles.configuration), reason: JSONCoding.reason(error))
            }
            guard previous.hasSameModel(as: configuration) else {
                throw LatentOTError.incompatible(store.describe(ModelFiles.configuration),
                                                 reason: "this folder holds a model trained with other settings; choose a new --out (or repeat the original command to resume)")
            }
            if previous != configuration {
                // Only the baselines or the sharpening differ: record them; the stages below train what is missing.
                if previous.baselines != configuration.baselines {
                    events(.note("baselines now [\(configuration.baselines.joined(separator: ", "))] (were [\(previous.baselines.joined(separator: ", "))])"))
                }
                if previous.sharpening != configuration.sharpening {
                    events(.note("sharpening now \(configuration.sharpening.map { "amount \($0.amount), σ \($0.radius) px" } ?? "none")"))
                }
                try store.writeJSON(configuration, named: ModelFiles.configuration)
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
            let transportJob = TransportJob(solver: configuration.solver, source: configuration.source)
            let dimension = configuration.autoencoder.latentDimension
            let merged = try CodeDeduplication.merge(codes.scalars, dimension: dimension) { rows in
                try TransportJob.normalization(of: rows, dimension: dimension, source: configuration.source,
                                               rule: transportJob.normalization).apply(rows)
            }
            if merged.duplicateCount > 0 { events(.note("merged \(merged.duplicateCount) duplicate codes into their twins' cells")) }
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
        if configuration.hasBaseline(.vae) {
            events(.stageStarted("vae"))
            let vaeJob = AutoencoderTrainingJob(modelConfiguration: configuration.vaeConfiguration, trainerConfiguration: configuration.vaeTraining,
                                                prefix: ModelFiles.vae)
            vae = try vaeJob.run(train: train, test: test, store: store, resume: true) { events(.autoencoder(label: "vae", $0)) }.model
        }
        var neuralPotential: NeuralPotentialGenerator? = nil
        if configuration.hasBaseline(.neuralPotential) {
            neuralPotential = try trainNeuralPotential(codes: transport.codes, store: store, events: events)
        }
        return Result(autoencoder: autoencoder, autoencoderReport: autoencoderReport, transport: transport,
                      transportReport: transportReport, vae: vae, neuralPotential: neuralPotential)
    }

    /// The neural-potential baseline on the codes the map was solved on (skipped when its files
    /// exist with the same settings: `potential.json` is written last). Training is short next to the
    /// autoencoder's, so it restarts from scratch after an interruption rather than keeping a checkpoint.
    func trainNeuralPotential(codes: [Float], store: ArtifactStore, events: (Event) -> Void) throws -> NeuralPotentialGenerator {
        let prefix = ModelFiles.neuralPotential, dimension = configuration.autoencoder.latentDimension
        let settings = configuration.neuralPotentialConfiguration
        if try store.read(prefix + NeuralPotentialFiles.state) != nil {
            let existing = try NeuralPotentialFiles.load(from: store, prefix: prefix, dimension: dimension)
            if existing.configuration == settings {
                events(.stageSkipped("neural-potential"))
                return existing
            }
            events(.note("neural potential: other settings than the saved one's, training it again"))
        }
        events(.stageStarted("neural-potential"))
        guard settings.dimension == dimension else {
            throw LatentOTError.invalidValue(field: "neuralPotential.dimension", expected: "the code dimension \(dimension)", found: "\(settings.dimension)")
        }
        try settings.validate()
        let potential = NeuralPotentialGenerator(configuration: settings)
        let clock = ContinuousClock(), start = clock.now
        try potential.train(codes: codes) { events(.neuralPotential(step: $0.step, total: settings.steps)) }
        let training = BaselineTraining(neuralPotential: potential, seconds: (clock.now - start) / .seconds(1),
                                        trainingSet: "the \(codes.count / dimension) codes the map was solved on")
        if potential.stoppedByTimeBudget {
            events(.note(String(format: "neural potential: time budget reached after %d of %d steps", potential.step, settings.steps)))
        }
        try NeuralPotentialFiles.save(potential, training: training, to: store, prefix: prefix)
        return potential
    }
}
