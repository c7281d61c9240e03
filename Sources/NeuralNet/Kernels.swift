// Vectorised reductions with a fixed summation order (16 lanes, then the lanes in order):
// the same input always gives the same bits.

/// Σ p[i].
@inline(__always)
func vectorSum(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
    var a = Vector(repeating: 0), b = Vector(repeating: 0)
    var i = 0
    while i + 32 <= count { a += load(p + i); b += load(p + i + 16); i += 32 }
    if i + 16 <= count { a += load(p + i); i += 16 }
    var total = (a + b).sum()
    while i < count { total += p[i]; i += 1 }
    return total
}

/// Σ (p[i] - m)².
@inline(__always)
func vectorSquaredDeviation(_ p: UnsafePointer<Float>, _ count: Int, mean m: Float) -> Float {
    var a = Vector(repeating: 0), b = Vector(repeating: 0)
    let mv = Vector(repeating: m)
    var i = 0
    while i + 32 <= count {
        let u = load(p + i) - mv, v = load(p + i + 16) - mv
        a += u * u; b += v * v; i += 32
    }
    if i + 16 <= count { let u = load(p + i) - mv; a += u * u; i += 16 }
    var total = (a + b).sum()
    while i < count { let d = p[i] - m; total += d * d; i += 1 }
    return total
}

/// (Σ g[i], Σ g[i]·h[i]).
@inline(__always)
func vectorSumAndDot(_ g: UnsafePointer<Float>, _ h: UnsafePointer<Float>, _ count: Int) -> (Float, Float) {
    var a = Vector(repeating: 0), b = Vector(repeating: 0)
    var i = 0
    while i + 16 <= count {
        let u = load(g + i)
        a += u; b += u * load(h + i); i += 16
    }
    var sa = a.sum(), sb = b.sum()
    while i < count { sa += g[i]; sb += g[i] * h[i]; i += 1 }
    return (sa, sb)
}
