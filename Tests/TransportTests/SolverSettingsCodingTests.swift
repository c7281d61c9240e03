import Foundation
import Testing
import Transport

/// The solver's settings are stored in model folders (`model.json`) and solution reports.
@Suite struct SolverSettingsCodingTests {
    /// Every setting changed from its default, so a setting the decoder forgets shows up as a difference.
    static func everySettingChanged() -> SemiDiscreteSolver {
        var s = SemiDiscreteSolver()
        s.method = .fixedSet; s.initialHeights = .zero; s.tolerance = .maxRelativeError(0.3)
        s.maxIterations = 77; s.timeBudget = 12.5; s.evaluationPointCount = 1 << 12; s.evaluationInterval = 3
        s.evaluationSampling = .independentRandom; s.pointsPerStep = 1 << 10; s.maximumPointsPerStep = 1 << 15
        s.growthFactor = 3; s.stallImprovement = 0.2; s.newtonStep = 0.5; s.newtonPointsPerCell = 32
        s.newtonPatience = 5; s.newtonGrowthFactor = 2; s.multiscalePointsPerCell = 16; s.multiscaleMinimumPoints = 1 << 12
        s.multiscaleTolerance = 0.1; s.multiscaleMaxSteps = 4; s.fixedSetInitialPointsPerCell = 3; s.fixedSetGrowthFactor = 2
        s.fixedSetFitFraction = 0.7; s.candidateCount = 16; s.riserCount = 8; s.fixedSetLearningRate = 0.03
        s.fixedSetMaximumPoints = 1 << 18; s.fixedSetMemoryLimit = 1 << 28; s.learningRate = 0.02; s.beta1 = 0.8
        s.beta2 = 0.99; s.growthPatience = 7; s.learningRateDecay = 0.25; s.minimumLearningRate = 1e-6
        return s
    }

    @Test func everySettingSurvivesARoundTrip() throws {
        let settings = Self.everySettingChanged()
        // The list above covers every stored property (update it, and the decoder, with a new setting).
        #expect(Mirror(reflecting: settings).children.count == 34)
        let defaults = Mirror(reflecting: SemiDiscreteSolver()).children.map { String(describing: $0.value) }
        let changed = Mirror(reflecting: settings).children.map { String(describing: $0.value) }
        #expect(zip(defaults, changed).allSatisfy { $0 != $1 }, "a setting of the list still has its default")
        let decoded = try JSONDecoder().decode(SemiDiscreteSolver.self, from: JSONEncoder().encode(settings))
        #expect(decoded == settings)
    }

    /// A file written before a setting existed still loads, with that setting's default.
    @Test func settingsMissingFromOlderFilesTakeTheirDefaults() throws {
        let settings = Self.everySettingChanged()
        var object = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(settings)) as? [String: Any])
        object["fixedSetMaximumPoints"] = nil
        object["fixedSetMemoryLimit"] = nil
        let decoded = try JSONDecoder().decode(SemiDiscreteSolver.self, from: JSONSerialization.data(withJSONObject: object))
        var expected = settings
        expected.fixedSetMaximumPoints = SemiDiscreteSolver().fixedSetMaximumPoints
        expected.fixedSetMemoryLimit = SemiDiscreteSolver().fixedSetMemoryLimit
        #expect(decoded == expected)
    }

    /// A present but malformed setting is still an error (only absence falls back to the default).
    @Test func malformedSettingIsRefused() throws {
        var object = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(SemiDiscreteSolver())) as? [String: Any])
        object["candidateCount"] = "many"
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(SemiDiscreteSolver.self, from: JSONSerialization.data(withJSONObject: object))
        }
    }
}
