import Foundation
import TensorModule
import Transport

/// Case 1: LatentOT's cell kernel (`PowerCells.assign`: best, second best, gap) against a plain
/// BLAS sgemm of the same shape (`BruteForceArgmax`: the `N × M` scores in tiles), alone and
/// followed by a simple argmax. Throughput in GFLOP/s counts `2·N·M·d` flops for every method,
/// whatever it actually computes, so a kernel that skips work shows a higher figure.
///
/// Inputs: clustered synthetic codes (`BenchData.syntheticCodes`), Voronoi heights, scrambled
/// Sobol points in `[-1/2, 1/2]^d`; every timed repetition uses fresh points (a later block of the
/// sequence), so a kernel cannot profit from having seen the same points before. The methods run in
/// turn within each repetition (so a change of load on the shared machine touches them alike): once
/// untimed (warm-up), then `repetitions` times; the median is reported.
struct KernelCase {
    struct Shape {
        var points: Int
        var targets: Int
        var dimension: Int
        var label: String { "N=\(KernelCase.power(points)) M=\(targets) d=\(dimension)" }
        var flops: Double { 2 * Double(points) * Double(targets) * Double(dimension) }
    }

    var shapes: [Shape]
    var repetitions: Int
    var verificationPoints = 512

    static func power(_ n: Int) -> String {
        n > 0 && n & (n - 1) == 0 ? "2^\(n.trailingZeroBitCount)" : "\(n)"
    }

    func run(_ reporter: Reporter) {
        var results: [[String: Any]] = []
        for shape in shapes {
            log("case 1: \(shape.label)")
            let result = measure(shape)
            results.append(result.json)
            reporter.row(1, "GFLOP/s (2·N·M·d), \(shape.label)", latentOT: "kernel " + format(result.kernelGFLOPs),
                         baseline: "sgemm \(format(result.sgemmGFLOPs)); sgemm+argmax \(format(result.baselineGFLOPs)); cache-tiled sgemm+argmax \(format(result.tiledGFLOPs))",
                         ratio: "kernel time \(times(result.kernelSeconds / result.sgemmSeconds)) sgemm's (\(format(100 * result.kernelGFLOPs / result.sgemmGFLOPs, digits: 3))% of its GFLOP/s); \(times(result.kernelSeconds / result.tiledSeconds)) cache-tiled brute force's")
            reporter.row(1, "kernel = Double brute force on \(result.verified) points, \(shape.label)",
                         latentOT: "\(result.mismatches) wrong best, \(result.secondMismatches) wrong second",
                         baseline: "\(result.baselineMismatches) / \(result.tiledMismatches) wrong", ratio: "ties \(result.ties)")
        }
        reporter.emit(case: 1, name: "cell-kernel", ["shapes": results, "repetitions": repetitions,
                                                      "blasThreads": BLAS.threadCount, "cores": Parallel.coreCount])
    }

    struct Result {
        var shape: Shape
        var kernelSeconds: Double
        var sgemmSeconds: Double
        var baselineSeconds: Double
        var tiledSeconds: Double
        var packSeconds: Double
        var sgemmLayout: String
        var tiledLayout: String
        var verified: Int
        var mismatches: Int
        var baselineMismatches: Int
        var tiledMismatches: Int
        var ties: Int
        var secondMismatches: Int
        var maxGapError: Double

        var kernelGFLOPs: Double { shape.flops / kernelSeconds / 1e9 }
        var sgemmGFLOPs: Double { shape.flops / sgemmSeconds / 1e9 }
        var baselineGFLOPs: Double { shape.flops / baselineSeconds / 1e9 }
        var tiledGFLOPs: Double { shape.flops / tiledSeconds / 1e9 }

        var json: [String: Any] {
            ["N": shape.points, "M": shape.targets, "d": shape.dimension, "gflop": shape.flops / 1e9,
             "kernelSeconds": kernelSeconds, "sgemmSeconds": sgemmSeconds, "sgemmArgmaxSeconds": baselineSeconds,
             "kernelGFLOPs": kernelGFLOPs, "sgemmGFLOPs": sgemmGFLOPs, "sgemmArgmaxGFLOPs": baselineGFLOPs,
             "kernelOverSgemmTime": kernelSeconds / sgemmSeconds,
             "fractionOfSgemmGFLOPs": kernelGFLOPs / sgemmGFLOPs,
             "kernelOverSgemmArgmaxTime": kernelSeconds / baselineSeconds,
             "cacheTiledArgmaxSeconds": tiledSeconds, "cacheTiledArgmaxGFLOPs": tiledGFLOPs,
             "kernelOverCacheTiledArgmaxTime": kernelSeconds / tiledSeconds,
             "packSeconds": packSeconds,
             "sgemmLayout": sgemmLayout, "cacheTiledLayout": tiledLayout,
             "verification": ["points": verified, "bestMismatches": mismatches, "baselineBestMismatches": baselineMismatches,
                              "cacheTiledBestMismatches": tiledMismatches,
                              "ties": ties, "secondMismatches": secondMismatches, "maxGapError": maxGapError]]
        }
    }

    func measure(_ shape: Shape) -> Result {
        let n = shape.points, d = shape.dimension
        let codes = BenchData.syntheticCodes(count: shape.targets, dimension: d)
        let heights = BenchData.voronoiHeights(codes)
        let runs = repetitions + 1
        let points = (0..<runs).map { BenchData.sourcePoints(count: n, dimension: d, start: $0 * n) }

        let brute = BruteForceArgmax(targets: codes.values, dimension: d, maximumPoints: n)
        let tiledBrute = BruteForceArgmax(targets: codes.values, dimension: d, maximumPoints: n, layout: BruteForceArgmax.referenceLayout)
        let (packSeconds, cells) = Stopwatch.time { PowerCells(targets: codes.values, dimension: d) }
        var baselineBest = [Int32](repeating: 0, count: n), tiledBest = baselineBest
        var best = baselineBest, second = baselineBest
        var gap = [Float](repeating: 0, count: n)
        // The four methods in turn within each repetition, so a change of load on the machine
        // touches them alike; run 0 is the warm-up.
        var sgemm: [Double] = [], baseline: [Double] = [], tiled: [Double] = [], kernel: [Double] = []
        for r in 0..<runs {
            points[r].withUnsafeBufferPointer { xs in
                let x = xs.baseAddress!
                heights.withUnsafeBufferPointer { hs in
                    let h = hs.baseAddress!
                    sgemm.append(Stopwatch.time { brute.scoresOnly(points: x, count: n) }.seconds)
                    baselineBest.withUnsafeMutableBufferPointer { b in
                        baseline.append(Stopwatch.time { brute.argmax(points: x, count: n, heights: h, best: b.baseAddress!) }.seconds)
                    }
                    tiledBest.withUnsafeMutableBufferPointer { b in
                        tiled.append(Stopwatch.time { tiledBrute.argmax(points: x, count: n, heights: h, best: b.baseAddress!) }.seconds)
                    }
                }
                best.withUnsafeMutableBufferPointer { b in
                    second.withUnsafeMutableBufferPointer { s in
                        gap.withUnsafeMutableBufferPointer { g in
                            kernel.append(Stopwatch.time {
                                cells.assign(points: x, count: n, heights: heights, best: b.baseAddress!,
                                             second: s.baseAddress!, gap: g.baseAddress!)
                            }.seconds)
                        }
                    }
                }
            }
        }
        let baselineLast = baselineBest, tiledLast = tiledBest // of the last run's points
        // All ran last on points[runs - 1]: check a subset against a Double brute force.
        let check = verify(points: points[runs - 1], codes: codes, heights: heights, best: best, second: second,
                           gap: gap, baselineBest: baselineLast, tiledBest: tiledLast)
        // The first run is the warm-up: the median of the rest.
        func median(_ all: [Double]) -> Double { let s = all.dropFirst().sorted(); return s[s.count / 2] }
        return Result(shape: shape, kernelSeconds: median(kernel), sgemmSeconds: median(sgemm),
                      baselineSeconds: median(baseline), tiledSeconds: median(tiled), packSeconds: packSeconds,
                      sgemmLayout: brute.layoutDescription, tiledLayout: tiledBrute.layoutDescription,
                      verified: check.points, mismatches: check.mismatches,
                      baselineMismatches: check.baselineMismatches, tiledMismatches: check.tiledMismatches, ties: check.ties,
                      secondMismatches: check.secondMismatches, maxGapError: check.maxGapError)
    }

    /// Brute force in Double on the first `verificationPoints` points: the best target must be the
    /// kernel's unless the two scores tie within Float rounding (`tieTolerance`, relative to the
    /// score scale), and likewise the second; the gap must equal the Double gap within that tolerance.
    func verify(points: [Float], codes: BenchData.Codes, heights: [Float], best: [Int32], second: [Int32],
                gap: [Float], baselineBest: [Int32], tiledBest: [Int32])
        -> (points: Int, mismatches: Int, baselineMismatches: Int, tiledMismatches: Int, ties: Int, secondMismatches: Int,
            maxGapError: Double) {
        let d = codes.dimension, m = codes.count
        let count = min(verificationPoints, points.count / d)
        var mismatches = 0, baselineMismatches = 0, tiledMismatches = 0, ties = 0, secondMismatches = 0, maxGapError = 0.0
        for p in 0..<count {
            var scores = [Double](repeating: 0, count: m)
            var scale = 0.0
            for i in 0..<m {
                var s = Double(heights[i])
                var magnitude = abs(s)
                for j in 0..<d {
                    let term = Double(points[p * d + j]) * Double(codes.values[i * d + j])
                    s += term; magnitude += abs(term)
                }
                scores[i] = s
                scale = max(scale, magnitude)
            }
            let tolerance = 1e-5 * max(scale, 1e-12)
            var first = 0
            for i in 1..<m where scores[i] > scores[first] { first = i }
            var runner = first == 0 ? 1 : 0
            for i in 0..<m where i != first && scores[i] > scores[runner] { runner = i }
            func judge(_ chosen: Int, _ truth: Int) -> (ok: Bool, tie: Bool) {
                if chosen == truth { return (true, false) }
                guard chosen >= 0 && chosen < m else { return (false, false) }
                return abs(scores[chosen] - scores[truth]) <= tolerance ? (true, true) : (false, false)
            }
            let kernelJudgement = judge(Int(best[p]), first)
            if !kernelJudgement.ok { mismatches += 1 }
            if kernelJudgement.tie { ties += 1 }
            if !judge(Int(baselineBest[p]), first).ok { baselineMismatches += 1 }
            if !judge(Int(tiledBest[p]), first).ok { tiledMismatches += 1 }
            if m > 1 {
                let pickedSecond = Int(second[p])
                let secondOK = pickedSecond == runner || judge(pickedSecond, runner).ok
                    || (kernelJudgement.tie && pickedSecond == first)
                if !secondOK { secondMismatches += 1 }
                let error = abs(Double(gap[p]) - (scores[first] - scores[runner]))
                maxGapError = max(maxGapError, error / max(scale, 1e-12))
            }
        }
        return (count, mismatches, baselineMismatches, tiledMismatches, ties, secondMismatches, maxGapError)
    }
}
