/// Scrambled Sobol low-discrepancy points in [0,1)^d, for quasi-Monte Carlo integration.
///
/// Dimension 1 is the van der Corput sequence; dimension j > 1 uses the (j-1)-th primitive
/// polynomial over GF(2) in order of degree, with initial direction numbers drawn once from a fixed
/// stream (odd m_k < 2^k, which keeps every dimension a valid (0,1)-sequence). Scrambling, when a
/// seed is given, is Matoušek's linear matrix scramble plus a random digital shift: the points stay
/// a (t,s)-net, become unbiased estimates of the integral, and differ per seed.
/// - Complexity: O(d) per point after an O(d·32²) setup; points from any start index, so blocks can
///   be generated in parallel and a sequence can be continued.
public struct SobolSequence: Sendable {
    public let dimension: Int
    /// Direction numbers: `directions[j * 32 + k]` is v_k of dimension j (MSB first).
    private var directions: [UInt32]
    /// Digital shift per dimension (0 when unscrambled).
    private var shifts: [UInt32]

    /// Largest index + 1 that can be generated (32-bit digits).
    public static let maximumCount = 1 << 32

    public init(dimension: Int, scrambleSeed: UInt64? = nil) {
        precondition(dimension >= 1, "SobolSequence: dimension must be ≥ 1, got \(dimension)")
        self.dimension = dimension
        directions = [UInt32](repeating: 0, count: dimension * 32)
        shifts = [UInt32](repeating: 0, count: dimension)
        var initial = SeededGenerator(seed: 0x5EED_50B0_1000_0001)
        let polynomials = SobolSequence.primitivePolynomials(count: max(0, dimension - 1))
        for j in 0..<dimension {
            if j == 0 {
                for k in 0..<32 { directions[k] = UInt32(1) << UInt32(31 - k) }
                continue
            }
            let (degree, coefficients) = polynomials[j - 1]
            var m = [UInt32](repeating: 0, count: 32)
            for k in 0..<min(degree, 32) {
                // m_k odd and < 2^(k+1)
                m[k] = UInt32(truncatingIfNeeded: initial.next() % UInt64(1 << k)) << 1 | 1
            }
            if degree < 32 {
                for k in degree..<32 {
                    var value = m[k - degree] ^ (m[k - degree] << UInt32(degree))
                    for i in 1..<degree where (coefficients >> (degree - 1 - i)) & 1 == 1 {
                        value ^= m[k - i] << UInt32(i)
                    }
                    m[k] = value
                }
            }
            for k in 0..<32 { directions[j * 32 + k] = m[k] << UInt32(31 - k) }
        }
        if let seed = scrambleSeed {
            var rng = SeededGenerator.stream(seed: seed, label: 0x50B0)
            for j in 0..<dimension {
                // Lower-triangular (MSB-first) random matrix with unit diagonal.
                var rows = [UInt32](repeating: 0, count: 32)
                for r in 0..<32 {
                    let diagonal = UInt32(1) << UInt32(31 - r)
                    let above: UInt32 = r == 0 ? 0 : ~((diagonal << 1) &- 1) // bits of rows j < r
                    rows[r] = (UInt32(truncatingIfNeeded: rng.next()) & above) | diagonal
                }
                for k in 0..<32 {
                    let v = directions[j * 32 + k]
                    var out: UInt32 = 0
                    for r in 0..<32 where (rows[r] & v).nonzeroBitCount & 1 == 1 {
                        out |= UInt32(1) << UInt32(31 - r)
                    }
                    directions[j * 32 + k] = out
                }
                shifts[j] = UInt32(truncatingIfNeeded: rng.next())
            }
        }
    }

    /// Writes points start..<start+count as a row-major count×dimension array of values in (0,1):
    /// each coordinate is (digits + 1/2)/2^32, never exactly 0 or 1 (safe for inverse CDFs).
    public func fill(start: Int, count: Int, into output: UnsafeMutablePointer<Double>) {
        precondition(start >= 0 && count >= 0 && start + count <= SobolSequence.maximumCount,
                     "SobolSequence: indices \(start)..<\(start + count) exceed 2^32")
        if count == 0 { return }
        var state = [UInt32](repeating: 0, count: dimension)
        let gray = UInt64(start) ^ (UInt64(start) >> 1)
        for j in 0..<dimension {
            var x: UInt32 = shifts[j]
            var bits = gray, k = 0
            while bits != 0 {
                if bits & 1 == 1 { x ^= directions[j * 32 + k] }
                bits >>= 1; k += 1
            }
            state[j] = x
        }
        let scale = 0x1p-32
        for i in 0..<count {
            let row = output + i * dimension
            for j in 0..<dimension { row[j] = (Double(state[j]) + 0.5) * scale }
            let index = UInt64(start + i + 1)
            let k = index.trailingZeroBitCount
            if start + i + 1 < SobolSequence.maximumCount {
                for j in 0..<dimension { state[j] ^= directions[j * 32 + k] }
            }
        }
    }

    /// Convenience: points start..<start+count as a flat row-major array.
    public func points(start: Int = 0, count: Int) -> [Double] {
        var result = [Double](repeating: 0, count: count * dimension)
        result.withUnsafeMutableBufferPointer { fill(start: start, count: count, into: $0.baseAddress!) }
        return result
    }

    /// The first `count` primitive polynomials over GF(2) of degree ≥ 1, in order of degree then value,
    /// as (degree, inner coefficients a_1..a_{s-1} as bits, MSB = a_1).
    static func primitivePolynomials(count: Int) -> [(Int, UInt32)] {
        var result: [(Int, UInt32)] = []
        var degree = 1
        while result.count < count {
            if degree == 1 { result.append((1, 0)); degree += 1; continue }
            let order = (UInt64(1) << UInt64(degree)) - 1
            let primeFactors = factorize(order)
            for inner in 0..<(UInt32(1) << UInt32(degree - 1)) where result.count < count {
                // p(x) = x^s + a_1 x^{s-1} + ... + a_{s-1} x + 1
                let p = (UInt64(1) << UInt64(degree)) | (UInt64(inner) << 1) | 1
                if isPrimitive(p, degree: degree, order: order, primeFactors: primeFactors) {
                    result.append((degree, inner))
                }
            }
            degree += 1
        }
        return result
    }

    private static func factorize(_ n: UInt64) -> [UInt64] {
        var n = n, f: UInt64 = 2, result: [UInt64] = []
        while f * f <= n {
            if n % f == 0 { result.append(f); while n % f == 0 { n /= f } }
            f += 1
        }
        if n > 1 { result.append(n) }
        return result
    }

    /// x has multiplicative order exactly 2^s - 1 modulo p.
    private static func isPrimitive(_ p: UInt64, degree: Int, order: UInt64, primeFactors: [UInt64]) -> Bool {
        func mulmod(_ a: UInt64, _ b: UInt64) -> UInt64 {
            var a = a, b = b, r: UInt64 = 0
            while b != 0 {
                if b & 1 == 1 { r ^= a }
                b >>= 1; a <<= 1
                if a >> UInt64(degree) & 1 == 1 { a ^= p }
            }
            return r
        }
        func powmod(_ e: UInt64) -> UInt64 {
            var base: UInt64 = 2, e = e, r: UInt64 = 1
            while e != 0 { if e & 1 == 1 { r = mulmod(r, base) }; base = mulmod(base, base); e >>= 1 }
            return r
        }
        if powmod(order) != 1 { return false }
        for q in primeFactors where powmod(order / q) == 1 { return false }
        return true
    }
}
