import Foundation
import TensorModule

/// The safetensors format (https://github.com/huggingface/safetensors), float32 only:
///   8 bytes: N, the header length, unsigned little-endian;
///   N bytes: a UTF-8 JSON object {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
///            "__metadata__": {"key": "value"}} padded with spaces to a multiple of 8;
///   then the data: each tensor's scalars little-endian, row-major, at [begin, end) of this section.
/// `encode` writes names sorted, data in the same order, and a deterministic header (same input → same bytes).
public enum Safetensors {
    /// Largest header accepted (the reference implementation's limit), so a corrupt length never
    /// makes us allocate gigabytes.
    public static let maximumHeaderLength = 100_000_000

    public static func encode(tensors: [(name: String, shape: [Int], scalars: [Float])],
                              metadata: [String: String] = [:]) -> Data {
        let sorted = tensors.sorted { $0.name < $1.name }
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for tensor in sorted {
            precondition(tensor.shape.reduce(1, *) == tensor.scalars.count,
                         "Safetensors.encode: \(tensor.name) has shape \(tensor.shape) but \(tensor.scalars.count) scalars")
            let bytes = tensor.scalars.count * 4
            entries.append("\(jsonString(tensor.name)):{\"dtype\":\"F32\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var data = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header)
        for tensor in sorted {
            tensor.scalars.withUnsafeBufferPointer { buffer in
                #if _endian(little)
                data.append(UnsafeBufferPointer(start: UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: UInt8.self),
                                                count: buffer.count * 4))
                #else
                for value in buffer { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
                #endif
            }
        }
        return data
    }

    /// Reads a safetensors file's tensors by name, checking every field: header length within the
    /// file, valid JSON, dtype F32, non-negative shape whose byte count matches data_offsets, offsets
    /// inside the data section and not overlapping. `source` names the file in errors.
    public static func decode(_ data: Data, source: String) throws -> [String: Tensor] {
        try decodeWithMetadata(data, source: source).tensors
    }

    /// `decode`, plus the header's `__metadata__` strings.
    public static func decodeWithMetadata(_ data: Data, source: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else {
            throw NeuralNetError.truncated(source: source, field: "header length", expected: 8, found: bytes.count)
        }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard length <= UInt64(maximumHeaderLength) else {
            throw NeuralNetError.invalidHeader(source: source, field: "header length",
                                               reason: "claims \(length) bytes, more than the \(maximumHeaderLength) allowed")
        }
        let headerLength = Int(length)
        guard 8 + headerLength <= bytes.count else {
            throw NeuralNetError.truncated(source: source, field: "header", expected: 8 + headerLength, found: bytes.count)
        }
        let headerObject: Any
        do {
            headerObject = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)]))
        } catch {
            throw NeuralNetError.invalidHeader(source: source, field: "header", reason: "not valid JSON")
        }
        guard let header = headerObject as? [String: Any] else {
            throw NeuralNetError.invalidHeader(source: source, field: "header", reason: "not a JSON object")
        }
        let dataStart = 8 + headerLength
        let dataLength = bytes.count - dataStart
        var metadata: [String: String] = [:]
        var tensors: [String: Tensor] = [:]
        var spans: [(Int, Int, String)] = []
        for name in header.keys.sorted() {
            let value = header[name]!
            if name == "__metadata__" {
                guard let pairs = value as? [String: Any] else {
                    throw NeuralNetError.invalidHeader(source: source, field: "__metadata__", reason: "not an object of strings")
                }
                for (key, item) in pairs {
                    guard let text = item as? String else {
                        throw NeuralNetError.invalidHeader(source: source, field: "__metadata__.\(key)", reason: "not a string")
                    }
                    metadata[key] = text
                }
                continue
            }
            guard let info = value as? [String: Any] else {
                throw NeuralNetError.invalidHeader(source: source, field: name, reason: "not an object")
            }
            guard let dtype = info["dtype"] as? String else {
                throw NeuralNetError.invalidHeader(source: source, field: "\(name).dtype", reason: "missing or not a string")
            }
            guard dtype == "F32" else {
                throw NeuralNetError.unsupportedDataType(source: source, tensor: name, dataType: dtype)
            }
            guard let shape = integers(info["shape"]), shape.allSatisfy({ $0 >= 0 && $0 <= Int(Int32.max) }) else {
                throw NeuralNetError.invalidHeader(source: source, field: "\(name).shape", reason: "missing or not a list of non-negative integers")
            }
            guard let offsets = integers(info["data_offsets"]), offsets.count == 2 else {
                throw NeuralNetError.invalidHeader(source: source, field: "\(name).data_offsets", reason: "missing or not two integers")
            }
            let begin = offsets[0], end = offsets[1]
            guard begin >= 0, begin <= end, end <= dataLength else {
                throw NeuralNetError.offsetsOutOfRange(source: source, tensor: name, offsets: offsets, dataLength: dataLength)
            }
            var count = 1
            for extent in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: extent)
                guard !overflow, product <= dataLength else {
                    throw NeuralNetError.byteCountMismatch(source: source, tensor: name, expected: Int.max, found: end - begin)
                }
                count = product
            }
            guard count * 4 == end - begin else {
                throw NeuralNetError.byteCountMismatch(source: source, tensor: name, expected: count * 4, found: end - begin)
            }
            spans.append((begin, end, name))
            var scalars = [Float](repeating: 0, count: count)
            scalars.withUnsafeMutableBytes { target in
                bytes.withUnsafeBytes { all in
                    target.copyMemory(from: UnsafeRawBufferPointer(rebasing: all[(dataStart + begin)..<(dataStart + end)]))
                }
            }
            #if !_endian(little)
            for i in scalars.indices { scalars[i] = Float(bitPattern: UInt32(littleEndian: scalars[i].bitPattern)) }
            #endif
            tensors[name] = Tensor(shape: shape, scalars: scalars)
        }
        spans.sort { $0.0 < $1.0 }
        for i in spans.indices.dropFirst() where spans[i].0 < spans[i - 1].1 {
            throw NeuralNetError.offsetsOutOfRange(source: source, tensor: spans[i].2, offsets: [spans[i].0, spans[i].1],
                                                   dataLength: dataLength)
        }
        return (tensors, metadata)
    }

    private static func integers(_ value: Any?) -> [Int]? {
        guard let list = value as? [Any] else { return nil }
        var result: [Int] = []
        for item in list {
            guard let number = item as? NSNumber else { return nil }
            let double = number.doubleValue
            guard double.rounded() == double, abs(double) < 9e15 else { return nil }
            result.append(number.intValue)
        }
        return result
    }

    private static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
