import Foundation
import ArgumentParser
import TensorModule
import Transport

/// `--profile`: where the kernel's time goes (case 1's supplement, for the Transport engineer).
///
/// 1. sgemm alone, the N×M scores cut into tiles of R points × C targets, one tile per worker at a
///    time (single-threaded BLAS, one worker per core, the tile buffer reused so small tiles stay in
///    cache) and, for comparison, one multi-threaded call per tile over all points: the GEMM's speed
///    as a function of the tile, i.e. what the output write costs.
/// 2. The kernel's own tiling (256 × 512) as sgemm alone: `kernel − that` is the top-2 scan and
///    bookkeeping.
/// 3. The kernel against the best sgemm tiling across dimensions d = 2 … 128 at M = 60,000: where
///    the GEMM is inefficient (small d) and where the kernel is GEMM-bound.
struct KernelProfile {
    var points: Int
    var targets: Int
    var repetitions: Int

    struct Timing {
        var label: String
        var dimension: Int
        var seconds: Double
        var gflops: Double
        var json: [String: Any] { ["label": label, "d": dimension, "seconds": seconds, "GFLOPs": gflops] }
    }

    func run(_ reporter: Reporter) -> [String: Any] {
        var tiles: [[String: Any]] = []
        for d in [32, 100] {
            let codes = BenchData.syntheticCodes(count: targets, dimension: d)
            let x = BenchData.sourcePoints(count: points, dimension: d)
            let flops = 2 * Double(points) * Double(targets) * Double(d)
            var timings: [Timing] = []
            for (rows, columns) in [(256, 512), (256, 2048), (1024, 512), (1024, 4096), (4096, 4096), (points, 512), (points, 8192)] {
                let seconds = Stopwatch.median(repetitions + 1) { _ in
                    KernelProfile.tiledSgemm(points: x, targets: codes.values, dimension: d, rows: rows, columns: columns)
                }.median
                timings.append(Timing(label: "per-core tiles \(rows)×\(columns)", dimension: d, seconds: seconds, gflops: flops / seconds / 1e9))
            }
            let big = BruteForceArgmax(targets: codes.values, dimension: d, maximumPoints: points)
            let bigSeconds = Stopwatch.median(repetitions + 1) { _ in
                x.withUnsafeBufferPointer { big.scoresOnly(points: $0.baseAddress!, count: points) }
            }.median
            timings.append(Timing(label: "one threaded call per \(big.tileWidth)-target tile", dimension: d,
                                  seconds: bigSeconds, gflops: flops / bigSeconds / 1e9))
            let cells = PowerCells(targets: codes.values, dimension: d)
            let heights = BenchData.voronoiHeights(codes)
            let kernelSeconds = Stopwatch.median(repetitions + 1) { _ in _ = cells.assign(points: x, heights: heights) }.median
            timings.append(Timing(label: "PowerCells.assign", dimension: d, seconds: kernelSeconds, gflops: flops / kernelSeconds / 1e9))
            for t in timings {
                log(String(format: "profile d=%d %@: %.3f s, %.1f GFLOP/s", d, t.label, t.seconds, t.gflops))
                reporter.row(1, "profile d=\(d): \(t.label) (N=\(KernelCase.power(points)), M=\(targets))", latentOT: "",
                             baseline: format(t.gflops) + " GFLOP/s", ratio: "")
            }
            tiles += timings.map(\.json)
        }

        // Dimensions: kernel vs the per-core 256×2048 sgemm tiling.
        var dimensions: [[String: Any]] = []
        for d in [2, 4, 8, 16, 32, 64, 128] {
            let codes = BenchData.syntheticCodes(count: targets, dimension: d)
            let x = BenchData.sourcePoints(count: points, dimension: d)
            let flops = 2 * Double(points) * Double(targets) * Double(d)
            let cells = PowerCells(targets: codes.values, dimension: d)
            let heights = BenchData.voronoiHeights(codes)
            let kernelSeconds = Stopwatch.median(repetitions + 1) { _ in _ = cells.assign(points: x, heights: heights) }.median
            let sgemmSeconds = Stopwatch.median(repetitions + 1) { _ in
                KernelProfile.tiledSgemm(points: x, targets: codes.values, dimension: d, rows: 256, columns: 2048)
            }.median
            let scoresPerSecond = Double(points) * Double(targets) / kernelSeconds
            log(String(format: "profile d=%d: kernel %.3f s (%.1f GFLOP/s, %.2f G scores/s), sgemm 256×2048 tiles %.3f s (%.1f GFLOP/s)",
                       d, kernelSeconds, flops / kernelSeconds / 1e9, scoresPerSecond / 1e9, sgemmSeconds, flops / sgemmSeconds / 1e9))
            reporter.row(1, "profile d=\(d): kernel vs sgemm 256×2048 tiles (N=\(KernelCase.power(points)), M=\(targets))",
                         latentOT: format(flops / kernelSeconds / 1e9) + " GFLOP/s (" + format(scoresPerSecond / 1e9) + " G scores/s)",
                         baseline: format(flops / sgemmSeconds / 1e9) + " GFLOP/s", ratio: "time " + times(kernelSeconds / sgemmSeconds))
            dimensions.append(["d": d, "kernelSeconds": kernelSeconds, "kernelGFLOPs": flops / kernelSeconds / 1e9,
                               "kernelGigaScoresPerSecond": scoresPerSecond / 1e9,
                               "sgemmTiledSeconds": sgemmSeconds, "sgemmTiledGFLOPs": flops / sgemmSeconds / 1e9])
        }
        return ["N": points, "M": targets, "tiles": tiles, "dimensions": dimensions]
    }

    /// All N×M scores by single-threaded sgemm calls on `rows × columns` tiles, the points split
    /// between the cores; each worker reuses one tile buffer.
    static func tiledSgemm(points: [Float], targets: [Float], dimension d: Int, rows: Int, columns: Int) {
        let n = points.count / d, m = targets.count / d
        let blocks = (n + rows - 1) / rows
        let chunks = Parallel.ranges(blocks, maxChunks: Parallel.coreCount)
        let saved = BLAS.threadCount
        BLAS.threadCount = 1
        defer { BLAS.threadCount = saved }
        points.withUnsafeBufferPointer { x in
            targets.withUnsafeBufferPointer { y in
                Parallel.forEach(chunks.count) { chunk in
                    let tile = UnsafeMutablePointer<Float>.allocate(capacity: rows * columns)
                    tile.initialize(repeating: 0, count: rows * columns)
                    defer { tile.deallocate() }
                    for block in chunks[chunk] {
                        let start = block * rows, count = min(rows, n - start)
                        var column = 0
                        while column < m {
                            let width = min(columns, m - column)
                            BLAS.sgemm(.none, .transpose, m: count, n: width, k: d, a: x.baseAddress! + start * d, lda: d,
                                       b: y.baseAddress! + column * d, ldb: d, c: tile, ldc: columns)
                            column += width
                        }
                    }
                }
            }
        }
    }
}

extension KernelProfile {
    /// The case-1 shapes again in child processes with OpenBLAS's core type as this environment
    /// sets it, unset (OpenBLAS's own detection) and `SkylakeX` (AVX-512 kernels); the core type is
    /// chosen when the library loads, hence the children.
    func coreTypes(_ reporter: Reporter, shapes: [KernelCase.Shape]) throws -> [[String: Any]] {
        let current = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
        let variants: [(label: String, value: String)] = [("as set (\(current ?? "unset"))", current ?? ""),
                                                          ("unset (detected)", ""), ("SkylakeX", "SkylakeX")]
        var results: [[String: Any]] = []
        for shape in shapes {
            var kernel: [String] = [], sgemm: [String] = []
            var first: Double? = nil, best: (String, Double)? = nil
            for variant in variants {
                let result = try ChildProcess.run(["kernel-child", "--points", "\(shape.points)", "--targets", "\(shape.targets)",
                                                   "--dimension", "\(shape.dimension)", "--repetitions", "\(repetitions)"],
                                                  environment: ["OPENBLAS_CORETYPE": variant.value])
                var entry = result
                entry["openblasCoretype"] = variant.label
                results.append(entry)
                let k = (result["kernelGFLOPs"] as? Double) ?? .nan, g = (result["sgemmGFLOPs"] as? Double) ?? .nan
                kernel.append("\(variant.label) \(format(k))")
                sgemm.append(format(g))
                if first == nil { first = k }
                if best == nil || k > best!.1 { best = (variant.label, k) }
            }
            reporter.row(1, "profile: OPENBLAS_CORETYPE, \(shape.label)",
                         latentOT: "kernel GFLOP/s: " + kernel.joined(separator: ", "),
                         baseline: "sgemm GFLOP/s: " + sgemm.joined(separator: ", "),
                         ratio: "best (\(best?.0 ?? "—")) " + times((best?.1 ?? .nan) / (first ?? .nan)) + " the current")
        }
        return results
    }
}

/// The hidden child of `coreTypes`: case 1 on one shape, its result as a JSON line.
struct KernelChildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kernel-child", abstract: "Case 1 on one shape (internal).",
                                                    shouldDisplay: false)
    @Option var points: Int
    @Option var targets: Int
    @Option var dimension: Int
    @Option var repetitions: Int = 3

    func run() throws {
        let shape = KernelCase.Shape(points: points, targets: targets, dimension: dimension)
        var kernel = KernelCase(shapes: [shape], repetitions: repetitions)
        kernel.verificationPoints = 64
        print(Reporter.json(kernel.measure(shape).json))
    }
}

/// How many flops a kernel could skip by grouping the targets (the maximum-inner-product-search
/// idea of the issue): targets are cut into `G` groups by k-means; a group's best score on `x` is
/// at most `<x, c_g> + r_g·|x| + max_{i∈g} h_i` (centre `c_g`, radius `r_g`), so a group whose bound
/// is below the point's best (argmax) or second-best (top-2) score need not be scored. Measured on
/// real assignments (`PowerCells.assign`), for several heights; the bound itself costs `N·G·d`.
struct PruningEstimate {
    var points: Int
    var groupCounts: [Int] = [64, 256, 1024]

    func run(codes: BenchData.Codes, heightSets: [(String, [Float])], reporter: Reporter) -> [[String: Any]] {
        let d = codes.dimension, m = codes.count
        let x = BenchData.sourcePoints(count: points, dimension: d, start: 1 << 20)
        let cells = PowerCells(targets: codes.values, dimension: d)
        var results: [[String: Any]] = []
        for groupCount in groupCounts {
            let groups = PruningEstimate.kMeans(codes, groupCount: groupCount)
            for (name, heights) in heightSets {
                let assignment = cells.assign(points: x, heights: heights)
                // Group bounds: <x, c_g> by sgemm, then + r_g |x| + max h.
                var maxHeight = [Float](repeating: -.infinity, count: groupCount)
                for i in 0..<m { maxHeight[groups.label[i]] = max(maxHeight[groups.label[i]], heights[i]) }
                var dots = [Float](repeating: 0, count: points * groupCount)
                x.withUnsafeBufferPointer { xs in
                    groups.centres.withUnsafeBufferPointer { c in
                        dots.withUnsafeMutableBufferPointer { out in
                            BLAS.sgemm(.none, .transpose, m: points, n: groupCount, k: d, a: xs.baseAddress!, lda: d,
                                       b: c.baseAddress!, ldb: d, c: out.baseAddress!, ldc: groupCount)
                        }
                    }
                }
                var skippedBest = 0.0, skippedSecond = 0.0
                for p in 0..<points {
                    var norm: Float = 0
                    for j in 0..<d { norm += x[p * d + j] * x[p * d + j] }
                    norm = norm.squareRoot()
                    let best = assignment.bestScore[p]
                    let second = assignment.gap[p].isFinite ? best - assignment.gap[p] : -Float.infinity
                    for g in 0..<groupCount where groups.size[g] > 0 {
                        let bound = dots[p * groupCount + g] + groups.radius[g] * norm + maxHeight[g]
                        if bound < best { skippedBest += Double(groups.size[g]) }
                        if bound < second { skippedSecond += Double(groups.size[g]) }
                    }
                }
                let fractionBest = skippedBest / Double(points * m), fractionSecond = skippedSecond / Double(points * m)
                let overhead = Double(groupCount) / Double(m)
                log(String(format: "pruning G=%d, heights %@: %.1f%% of scores skippable for the argmax, %.1f%% for top-2 (bounds cost %.2f%%)",
                           groupCount, name, 100 * fractionBest, 100 * fractionSecond, 100 * overhead))
                reporter.row(1, "profile: pruning by \(groupCount) k-means groups, \(name) heights, M=\(m) d=\(d)",
                             latentOT: format(100 * fractionSecond) + "% of scores skippable (top-2), " + format(100 * fractionBest) + "% (argmax)",
                             baseline: "bounds cost " + format(100 * overhead) + "% of brute force", ratio: "")
                results.append(["groups": groupCount, "heights": name, "skippableArgmax": fractionBest,
                                "skippableTop2": fractionSecond, "boundCostFraction": overhead,
                                "meanRadius": groups.radius.reduce(0, +) / Float(groupCount)])
            }
        }
        return results
    }

    struct Groups {
        var centres: [Float]
        var radius: [Float]
        var size: [Int]
        var label: [Int]
    }

    /// Lloyd's k-means (8 iterations from evenly spaced targets), then each group's radius.
    static func kMeans(_ codes: BenchData.Codes, groupCount: Int, iterations: Int = 8) -> Groups {
        let d = codes.dimension, m = codes.count, y = codes.values
        var centres = [Float](repeating: 0, count: groupCount * d)
        for g in 0..<groupCount {
            let i = g * m / groupCount
            for j in 0..<d { centres[g * d + j] = y[i * d + j] }
        }
        var label = [Int](repeating: 0, count: m)
        var best = [Int32](repeating: 0, count: m)
        for _ in 0..<iterations {
            // Nearest centre = argmax <y, c> - |c|²/2.
            var offsets = [Float](repeating: 0, count: groupCount)
            for g in 0..<groupCount {
                var squared: Float = 0
                for j in 0..<d { squared += centres[g * d + j] * centres[g * d + j] }
                offsets[g] = -squared / 2
            }
            let brute = BruteForceArgmax(targets: centres, dimension: d, maximumPoints: m,
                                         layout: BruteForceArgmax.referenceLayout)
            y.withUnsafeBufferPointer { ys in
                offsets.withUnsafeBufferPointer { h in
                    best.withUnsafeMutableBufferPointer { b in
                        brute.argmax(points: ys.baseAddress!, count: m, heights: h.baseAddress!, best: b.baseAddress!)
                    }
                }
            }
            var sums = [Double](repeating: 0, count: groupCount * d), counts = [Int](repeating: 0, count: groupCount)
            for i in 0..<m {
                let g = Int(best[i]); label[i] = g; counts[g] += 1
                for j in 0..<d { sums[g * d + j] += Double(y[i * d + j]) }
            }
            for g in 0..<groupCount where counts[g] > 0 {
                for j in 0..<d { centres[g * d + j] = Float(sums[g * d + j] / Double(counts[g])) }
            }
        }
        var radius = [Float](repeating: 0, count: groupCount), size = [Int](repeating: 0, count: groupCount)
        for i in 0..<m {
            let g = label[i]
            size[g] += 1
            var squared: Float = 0
            for j in 0..<d { let v = y[i * d + j] - centres[g * d + j]; squared += v * v }
            radius[g] = max(radius[g], squared.squareRoot())
        }
        return Groups(centres: centres, radius: radius, size: size, label: label)
    }
}
