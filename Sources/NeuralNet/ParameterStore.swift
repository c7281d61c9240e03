import TensorModule

/// One model's flat buffers: trainable `parameters`, their `gradients` (same layout) and running
/// `statistics` (BatchNorm means and variances: saved with the model, not trained).
/// Layers hold offsets into these buffers; a `LayerContext` hands them the base pointers.
public final class ParameterStore {
    /// Which flat buffer an entry lives in.
    public enum Kind: String, Codable, Sendable { case parameter, statistic }

    /// A named tensor inside one of the flat buffers.
    public struct Entry: Equatable, Sendable {
        public let name: String
        public let shape: [Int]
        public let kind: Kind
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
    }

    public private(set) var entries: [Entry] = []
    public var parameters: [Float] = []
    public var gradients: [Float] = []
    public var statistics: [Float] = []

    public init() {}

    public var parameterCount: Int { parameters.count }

    /// Appends a trainable tensor; returns its offset in `parameters`.
    public func addParameter(name: String, shape: [Int], values: [Float]) -> Int {
        precondition(values.count == shape.reduce(1, *), "addParameter \(name): shape \(shape) but \(values.count) values")
        precondition(!entries.contains { $0.name == name }, "addParameter: duplicate name \(name)")
        let offset = parameters.count
        entries.append(Entry(name: name, shape: shape, kind: .parameter, offset: offset))
        parameters.append(contentsOf: values)
        gradients.append(contentsOf: [Float](repeating: 0, count: values.count))
        return offset
    }

    /// Appends a non-trainable tensor (running statistics); returns its offset in `statistics`.
    public func addStatistic(name: String, shape: [Int], values: [Float]) -> Int {
        precondition(values.count == shape.reduce(1, *), "addStatistic \(name): shape \(shape) but \(values.count) values")
        precondition(!entries.contains { $0.name == name }, "addStatistic: duplicate name \(name)")
        let offset = statistics.count
        entries.append(Entry(name: name, shape: shape, kind: .statistic, offset: offset))
        statistics.append(contentsOf: values)
        return offset
    }

    /// The entry named `name`, if any.
    public func entry(named name: String) -> Entry? { entries.first { $0.name == name } }

    /// Current values of the tensor named `name`.
    public func values(of name: String) -> [Float] {
        guard let e = entry(named: name) else { preconditionFailure("ParameterStore: no tensor named \(name); have \(entries.map(\.name))") }
        let source = e.kind == .parameter ? parameters : statistics
        return Array(source[e.offset..<(e.offset + e.count)])
    }

    /// Gradient of the parameter named `name`.
    public func gradient(of name: String) -> [Float] {
        guard let e = entry(named: name), e.kind == .parameter else { preconditionFailure("ParameterStore: no parameter named \(name)") }
        return Array(gradients[e.offset..<(e.offset + e.count)])
    }

    /// Overwrites the tensor named `name`.
    public func setValues(_ values: [Float], of name: String) {
        guard let e = entry(named: name) else { preconditionFailure("ParameterStore: no tensor named \(name); have \(entries.map(\.name))") }
        precondition(values.count == e.count, "ParameterStore.setValues \(name): \(values.count) values for shape \(e.shape)")
        switch e.kind {
        case .parameter: parameters.replaceSubrange(e.offset..<(e.offset + e.count), with: values)
        case .statistic: statistics.replaceSubrange(e.offset..<(e.offset + e.count), with: values)
        }
    }

    public func zeroGradients() {
        gradients.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// Runs `body` with a context pointing at the three buffers (the layers parallelise over blocks
    /// themselves, `ParallelGEMM`, each block one single-threaded BLAS call).
    public func withContext<R>(_ mode: Mode, _ body: (LayerContext) throws -> R) rethrows -> R {
        return try parameters.withUnsafeMutableBufferPointer { p in
            try gradients.withUnsafeMutableBufferPointer { g in
                try statistics.withUnsafeMutableBufferPointer { s in
                    let dummy = UnsafeMutablePointer<Float>(bitPattern: 16)!
                    return try body(LayerContext(mode: mode, parameters: p.baseAddress ?? dummy,
                                                 gradients: g.baseAddress ?? dummy,
                                                 statistics: s.baseAddress ?? dummy))
                }
            }
        }
    }

    /// Every entry's current values, in registration order, as (name, shape, scalars).
    public func namedTensors() -> [(name: String, shape: [Int], scalars: [Float])] {
        entries.map { entry in
            let source = entry.kind == .parameter ? parameters : statistics
            return (entry.name, entry.shape, Array(source[entry.offset..<(entry.offset + entry.count)]))
        }
    }
}
