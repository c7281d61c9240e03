import Testing
import TensorModule

@Suite struct SobolSequenceTests {
    /// A (0,m,2) net property: the first 2^m points put exactly one point in each elementary
    /// interval of length 2^-m along every coordinate, scrambled or not.
    @Test(arguments: [nil, UInt64(7)] as [UInt64?])
    func firstPowerOfTwoPointsStratifyEachCoordinate(seed: UInt64?) {
        let d = 12, m = 10, n = 1 << m
        let sequence = SobolSequence(dimension: d, scrambleSeed: seed)
        let points = sequence.points(count: n)
        for j in 0..<d {
            var seen = [Bool](repeating: false, count: n)
            for i in 0..<n {
                let cell = Int(points[i * d + j] * Double(n))
                #expect(!seen[cell], "dimension \(j): two points in cell \(cell)")
                seen[cell] = true
            }
        }
    }

    /// Two-dimensional projections are (0,m,2)-nets for the first dimension pair (van der Corput × x+1).
    @Test func firstTwoDimensionsFormANet() {
        let sequence = SobolSequence(dimension: 2, scrambleSeed: 3)
        let points = sequence.points(count: 256)
        var counts = [Int](repeating: 0, count: 256)
        for i in 0..<256 {
            let a = Int(points[2 * i] * 16), b = Int(points[2 * i + 1] * 16)
            counts[a * 16 + b] += 1
        }
        #expect(counts.allSatisfy { $0 == 1 })
    }

    @Test func blocksFromAnyStartMatchTheWholeSequence() {
        let sequence = SobolSequence(dimension: 5, scrambleSeed: 11)
        let whole = sequence.points(count: 300)
        let tail = sequence.points(start: 123, count: 177)
        #expect(Array(whole[(123 * 5)...]) == tail)
    }

    @Test func differentSeedsGiveDifferentPointsAndSameSeedTheSame() {
        let a = SobolSequence(dimension: 3, scrambleSeed: 1).points(count: 64)
        let b = SobolSequence(dimension: 3, scrambleSeed: 1).points(count: 64)
        let c = SobolSequence(dimension: 3, scrambleSeed: 2).points(count: 64)
        #expect(a == b)
        #expect(a != c)
        #expect(a.allSatisfy { $0 > 0 && $0 < 1 })
    }

    /// QMC integration of a smooth function converges much faster than 1/sqrt(n).
    @Test func integratesASmoothFunctionAccurately() {
        let d = 6, n = 1 << 14
        let points = SobolSequence(dimension: d, scrambleSeed: 5).points(count: n)
        var sum = 0.0
        for i in 0..<n {
            var product = 1.0
            for j in 0..<d { product *= 2 * points[i * d + j] } // ∫ Π 2x_j = 1
            sum += product
        }
        #expect(abs(sum / Double(n) - 1) < 5e-3)
    }
}
