import Testing
import Foundation
import TensorModule
import NeuralNet

@Suite struct SafetensorsTests {
    /// A file with a hand-written header and `dataLength` bytes of data.
    func file(header: String, dataLength: Int, claimedLength: UInt64? = nil) -> Data {
        var data = Data()
        let bytes = Array(header.utf8)
        withUnsafeBytes(of: (claimedLength ?? UInt64(bytes.count)).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: bytes)
        data.append(Data(count: dataLength))
        return data
    }

    @Test func roundTripIsExactAndDeterministic() throws {
        let tensors: [(name: String, shape: [Int], scalars: [Float])] = [
            ("b", [2, 3], [1, -2, 3.5, .pi, -0, 1e-30]),
            ("a", [4], [0.1, 0.2, 0.3, 0.4]),
            ("empty", [0, 3], []),
        ]
        let data = Safetensors.encode(tensors: tensors, metadata: ["config": "{\"x\":1}"])
        #expect(data == Safetensors.encode(tensors: tensors.reversed(), metadata: ["config": "{\"x\":1}"]))
        // Header length little-endian, header padded to 8 bytes, JSON keys sorted.
        let length = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        #expect(length % 8 == 0)
        let header = String(decoding: data[8..<(8 + Int(length))], as: UTF8.self)
        #expect(header.hasPrefix(#"{"__metadata__":{"config":"{\"x\":1}"},"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}"#))
        #expect(data.count == 8 + Int(length) + 40)
        let decoded = try Safetensors.decodeWithMetadata(data, source: "t.safetensors")
        #expect(decoded.metadata == ["config": "{\"x\":1}"])
        for t in tensors { #expect(decoded.tensors[t.name] == Tensor(shape: t.shape, scalars: t.scalars)) }
        // The first data bytes are 0.1f little-endian.
        let first = data[(8 + Int(length))..<(12 + Int(length))]
        #expect(Array(first) == withUnsafeBytes(of: Float(0.1).bitPattern.littleEndian) { Array($0) })
    }

    @Test func modelRoundTrip() throws {
        let model = try Autoencoder(architecture: .conv, imageShape: [1, 28, 28], latentDimension: 6, baseWidth: 4, seed: 1)
        // Make the running statistics non-trivial.
        var rng = SeededGenerator(seed: 3)
        let images = Tensor(shape: [8, 1, 28, 28], scalars: (0..<(8 * 784)).map { _ in rng.nextUnitFloat() })
        let trainer = AutoencoderTrainer(model: model, configuration: .init(epochs: 1, batchSize: 4))
        trainer.trainEpoch(images)
        let data = model.safetensorsData()
        let copy = try Autoencoder(architecture: .conv, imageShape: [1, 28, 28], latentDimension: 6, baseWidth: 4, seed: 99)
        #expect(copy.store.parameters != model.store.parameters)
        try copy.loadParameters(from: data, source: "model.safetensors")
        #expect(copy.store.parameters == model.store.parameters)
        #expect(copy.store.statistics == model.store.statistics)
        #expect(copy.store.statistics.contains { $0 != 0 && $0 != 1 })
        #expect(copy.decode(model.encode(images)) == model.decode(model.encode(images)))
        let metadata = try Safetensors.decodeWithMetadata(data, source: "m").metadata
        let configuration = try JSONDecoder().decode(AutoencoderConfiguration.self, from: Data(metadata["config"]!.utf8))
        #expect(configuration == model.configuration)
    }

    @Test func truncatedFiles() throws {
        let data = Safetensors.encode(tensors: [("w", [2, 2], [1, 2, 3, 4])])
        #expect(throws: NeuralNetError.truncated(source: "f", field: "header length", expected: 8, found: 5)) {
            try Safetensors.decode(data.prefix(5), source: "f")
        }
        // Cut inside the data: the last tensor's offsets now run past the end.
        do {
            _ = try Safetensors.decode(data.prefix(data.count - 3), source: "f")
            Issue.record("no error for a truncated data section")
        } catch let error as NeuralNetError {
            guard case .offsetsOutOfRange(let source, let tensor, let offsets, let dataLength) = error else {
                Issue.record("wrong error \(error)"); return
            }
            #expect(source == "f" && tensor == "w" && offsets == [0, 16] && dataLength == 13)
        }
    }

    @Test func headerLengthBeyondFile() {
        let data = file(header: "{}", dataLength: 0, claimedLength: 4096)
        #expect(throws: NeuralNetError.truncated(source: "f", field: "header", expected: 8 + 4096, found: 10)) {
            try Safetensors.decode(data, source: "f")
        }
        // A huge claimed length is refused before any allocation.
        let huge = file(header: "{}", dataLength: 0, claimedLength: UInt64.max)
        #expect(throws: NeuralNetError.self) { try Safetensors.decode(huge, source: "f") }
    }

    @Test func offsetsOutOfRangeAndOverlapping() {
        let outside = file(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#, dataLength: 12)
        #expect(throws: NeuralNetError.offsetsOutOfRange(source: "f", tensor: "w", offsets: [8, 16], dataLength: 12)) {
            try Safetensors.decode(outside, source: "f")
        }
        let reversed = file(header: #"{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}"#, dataLength: 12)
        #expect(throws: NeuralNetError.offsetsOutOfRange(source: "f", tensor: "w", offsets: [8, 4], dataLength: 12)) {
            try Safetensors.decode(reversed, source: "f")
        }
        let overlapping = file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, dataLength: 12)
        #expect(throws: NeuralNetError.offsetsOutOfRange(source: "f", tensor: "b", offsets: [4, 12], dataLength: 12)) {
            try Safetensors.decode(overlapping, source: "f")
        }
        let wrongCount = file(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, dataLength: 12)
        #expect(throws: NeuralNetError.byteCountMismatch(source: "f", tensor: "w", expected: 12, found: 8)) {
            try Safetensors.decode(wrongCount, source: "f")
        }
        let hugeShape = file(header: #"{"w":{"dtype":"F32","shape":[2000000000,2000000000,8],"data_offsets":[0,8]}}"#, dataLength: 8)
        #expect(throws: NeuralNetError.self) { try Safetensors.decode(hugeShape, source: "f") }
    }

    @Test func wrongDataTypeAndBadHeaders() {
        let f16 = file(header: #"{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#, dataLength: 4)
        #expect(throws: NeuralNetError.unsupportedDataType(source: "f", tensor: "w", dataType: "F16")) {
            try Safetensors.decode(f16, source: "f")
        }
        #expect(throws: NeuralNetError.invalidHeader(source: "f", field: "header", reason: "not valid JSON")) {
            try Safetensors.decode(file(header: "{not json", dataLength: 0), source: "f")
        }
        #expect(throws: NeuralNetError.invalidHeader(source: "f", field: "w.shape", reason: "missing or not a list of non-negative integers")) {
            try Safetensors.decode(file(header: #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, dataLength: 4), source: "f")
        }
        #expect(throws: NeuralNetError.invalidHeader(source: "f", field: "w.data_offsets", reason: "missing or not two integers")) {
            try Safetensors.decode(file(header: #"{"w":{"dtype":"F32","shape":[1]}}"#, dataLength: 4), source: "f")
        }
    }

    @Test func architectureMismatchesAndNonFiniteValues() throws {
        let small = try Autoencoder(architecture: .mlp, imageShape: [1, 28, 28], latentDimension: 8)
        let large = try Autoencoder(architecture: .mlp, imageShape: [1, 28, 28], latentDimension: 16)
        let before = large.store.parameters
        #expect(throws: NeuralNetError.shapeMismatch(source: "m.safetensors", tensor: "encoder.5.weight", expected: [16, 256], found: [8, 256])) {
            try large.loadParameters(from: small.safetensorsData(), source: "m.safetensors")
        }
        #expect(large.store.parameters == before) // nothing changed
        let conv = try Autoencoder(architecture: .conv, imageShape: [1, 28, 28], latentDimension: 8, baseWidth: 4)
        #expect(throws: NeuralNetError.missingTensor(source: "m", tensor: "encoder.0.weight")) {
            try conv.loadParameters(from: small.safetensorsData(), source: "m")
        }
        var tensors = try Safetensors.decode(small.safetensorsData(), source: "m")
        tensors["extra"] = Tensor(zeros: [1])
        #expect(throws: NeuralNetError.unexpectedTensor(source: "m", tensor: "extra")) {
            try small.loadParameters(from: tensors, source: "m")
        }
        var named = small.parameterTensors()
        named[2].scalars[7] = .nan
        #expect(throws: NeuralNetError.nonFinite(source: "m", tensor: named[2].name, index: 7)) {
            try small.loadParameters(from: Safetensors.encode(tensors: named), source: "m")
        }
        // Messages name the file and the field.
        let message = NeuralNetError.shapeMismatch(source: "m.safetensors", tensor: "decoder.0.weight", expected: [256, 16], found: [256, 8]).description
        #expect(message.contains("m.safetensors") && message.contains("decoder.0.weight") && message.contains("[256, 8]"))
    }
}
