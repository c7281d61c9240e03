import Foundation
import TensorModule

/// Turning arrays read from IDX or NumPy files into NCHW image tensors in [0, 1], and label arrays
/// into checked class indices.
enum ImageArrays {
    /// Element values as stored, before scaling.
    enum Values {
        case uint8([UInt8])
        case float32([Float])
        case float64([Double])
        case integer([Int])
    }

    /// How a stored shape maps to [n, c, h, w].
    struct Layout: Equatable {
        var count: Int, channels: Int, height: Int, width: Int
        var channelsLast: Bool
    }

    /// Reads [n, h, w] (grey), [n, c, h, w] or [n, h, w, c] with c = 1 or 3
    /// (when both readings fit, channels-first wins).
    static func layout(of shape: [Int], source: String, field: String) throws(DatasetError) -> Layout {
        switch shape.count {
        case 3:
            return Layout(count: shape[0], channels: 1, height: shape[1], width: shape[2], channelsLast: false)
        case 4 where shape[1] == 1 || shape[1] == 3:
            return Layout(count: shape[0], channels: shape[1], height: shape[2], width: shape[3], channelsLast: false)
        case 4 where shape[3] == 1 || shape[3] == 3:
            return Layout(count: shape[0], channels: shape[3], height: shape[1], width: shape[2], channelsLast: true)
        default:
            throw .wrongShape(file: source, field: field,
                              expected: "images [n, h, w], [n, c, h, w] or [n, h, w, c] with c = 1 or 3",
                              found: "\(shape)")
        }
    }

    /// An image tensor [n, c, h, w] in [0, 1]: uint8 is divided by 255; integers must lie in
    /// 0...255 and are divided by 255; floats must be finite and in [0, 1] (values within 1e-6
    /// outside are clamped, to forgive rounding).
    /// - Parameter field: the header field holding the shape (value errors name the field "data").
    static func tensor(_ values: Values, shape: [Int], source: String, field shapeField: String) throws(DatasetError) -> Tensor {
        let layout = try layout(of: shape, source: source, field: shapeField)
        let field = "data"
        var scalars: [Float]
        switch values {
        case .uint8(let bytes):
            scalars = bytes.map { Float($0) / 255 }
        case .integer(let integers):
            if let index = integers.firstIndex(where: { $0 < 0 || $0 > 255 }) {
                throw .valueOutOfRange(file: source, field: field, index: index, expected: "0...255 for integer pixels",
                                       found: "\(integers[index])")
            }
            scalars = integers.map { Float($0) / 255 }
        case .float32(let floats):
            scalars = try checkedUnitInterval(floats, source: source, field: field, original: { "\(floats[$0])" })
        case .float64(let doubles):
            for (index, value) in doubles.enumerated() where !value.isFinite {
                throw .nonFiniteValue(file: source, field: field, index: index, found: "\(value)")
            }
            scalars = try checkedUnitInterval(doubles.map { Float($0) }, source: source, field: field,
                                              original: { "\(doubles[$0])" })
        }
        if layout.channelsLast && layout.channels > 1 {
            scalars = channelsFirst(scalars, layout: layout)
        }
        return Tensor(shape: [layout.count, layout.channels, layout.height, layout.width], scalars: scalars)
    }

    private static func checkedUnitInterval(_ values: [Float], source: String, field: String,
                                            original: (Int) -> String) throws(DatasetError) -> [Float] {
        var result = values
        for index in result.indices {
            let value = result[index]
            guard value.isFinite else {
                throw .nonFiniteValue(file: source, field: field, index: index, found: original(index))
            }
            if value < 0 || value > 1 {
                guard value >= -1e-6 && value <= 1 + 1e-6 else {
                    throw .valueOutOfRange(file: source, field: field, index: index, expected: "[0, 1] for float pixels",
                                           found: original(index))
                }
                result[index] = min(1, max(0, value))
            }
        }
        return result
    }

    /// [n, h, w, c] → [n, c, h, w].
    private static func channelsFirst(_ values: [Float], layout: Layout) -> [Float] {
        let plane = layout.height * layout.width, c = layout.channels
        var result = [Float](repeating: 0, count: values.count)
        for image in 0..<layout.count {
            let base = image * plane * c
            for pixel in 0..<plane {
                for channel in 0..<c {
                    result[base + channel * plane + pixel] = values[base + pixel * c + channel]
                }
            }
        }
        return result
    }

    /// Checked labels: one per image, each in 0..<classCount (when given) and non-negative.
    static func labels(_ values: [Int], expectedCount: Int, classCount: Int?, source: String,
                       field: String) throws(DatasetError) -> [Int] {
        guard values.count == expectedCount else {
            throw .countMismatch(file: source, field: field, expected: expectedCount, found: values.count)
        }
        let upper = classCount ?? Int.max
        if let index = values.firstIndex(where: { $0 < 0 || $0 >= upper }) {
            throw .valueOutOfRange(file: source, field: field, index: index,
                                   expected: classCount.map { "labels in 0..<\($0)" } ?? "non-negative labels",
                                   found: "\(values[index])")
        }
        return values
    }
}

extension IDXArray {
    /// The elements for image conversion.
    var imageValues: ImageArrays.Values {
        switch storage {
        case .uint8(let v): return .uint8(v)
        case .int8(let v): return .integer(v.map { Int($0) })
        case .int16(let v): return .integer(v.map { Int($0) })
        case .int32(let v): return .integer(v.map { Int($0) })
        case .float32(let v): return .float32(v)
        case .float64(let v): return .float64(v)
        }
    }

    /// The elements as integers, or nil for floating-point arrays.
    var integerValues: [Int]? {
        switch storage {
        case .uint8(let v): return v.map { Int($0) }
        case .int8(let v): return v.map { Int($0) }
        case .int16(let v): return v.map { Int($0) }
        case .int32(let v): return v.map { Int($0) }
        case .float32, .float64: return nil
        }
    }
}

extension NumpyArray {
    /// The elements for image conversion.
    var imageValues: ImageArrays.Values {
        switch storage {
        case .uint8(let v): return .uint8(v)
        case .float32(let v): return .float32(v)
        case .float64(let v): return .float64(v)
        case .int32(let v): return .integer(v.map { Int($0) })
        case .int64(let v): return .integer(v.map { Int($0) })
        case .bool(let v): return .uint8(v.map { $0 ? 255 : 0 })
        }
    }
}
