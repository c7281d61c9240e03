import Foundation

/// Bad outside input to NeuralNet: model files, configurations, image shapes. Each message names
/// the file (`source`) and field, what was expected and what was found.
public enum NeuralNetError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The file ends before `field` (expected at least `expected` bytes, found `found`).
    case truncated(source: String, field: String, expected: Int, found: Int)
    /// The JSON header is not valid or a field has the wrong type.
    case invalidHeader(source: String, field: String, reason: String)
    /// A tensor's dtype is not "F32".
    case unsupportedDataType(source: String, tensor: String, dataType: String)
    /// data_offsets outside the data section, reversed, or overlapping another tensor.
    case offsetsOutOfRange(source: String, tensor: String, offsets: [Int], dataLength: Int)
    /// data_offsets span a byte count different from 4 × the shape's element count.
    case byteCountMismatch(source: String, tensor: String, expected: Int, found: Int)
    /// The architecture needs a tensor the file lacks.
    case missingTensor(source: String, tensor: String)
    /// The file has a tensor the architecture does not know.
    case unexpectedTensor(source: String, tensor: String)
    /// A tensor's shape differs from the architecture's.
    case shapeMismatch(source: String, tensor: String, expected: [Int], found: [Int])
    /// A tensor holds NaN or ±infinity.
    case nonFinite(source: String, tensor: String, index: Int)
    /// The configuration cannot be built (image shape, latent dimension, base width).
    case invalidConfiguration(field: String, value: String, reason: String)
    /// A trainer state does not fit the model or trainer it is restored into.
    case incompatibleState(field: String, expected: String, found: String)

    public var description: String {
        switch self {
        case let .truncated(source, field, expected, found):
            return "\(source): file ends inside \(field): needs \(expected) bytes, found \(found). Hint: the file was cut short; write it again."
        case let .invalidHeader(source, field, reason):
            return "\(source): invalid safetensors header at \(field): \(reason)."
        case let .unsupportedDataType(source, tensor, dataType):
            return "\(source): tensor \(tensor) has dtype \(dataType), expected F32. Hint: convert the weights to float32."
        case let .offsetsOutOfRange(source, tensor, offsets, dataLength):
            return "\(source): tensor \(tensor) has data_offsets \(offsets) outside the \(dataLength)-byte data section (or overlapping another tensor)."
        case let .byteCountMismatch(source, tensor, expected, found):
            return "\(source): tensor \(tensor) needs \(expected) bytes for its shape, its data_offsets span \(found)."
        case let .missingTensor(source, tensor):
            return "\(source): tensor \(tensor) is missing. Hint: the file belongs to another architecture; check the model's config.json."
        case let .unexpectedTensor(source, tensor):
            return "\(source): tensor \(tensor) is not part of this architecture. Hint: check the model's config.json."
        case let .shapeMismatch(source, tensor, expected, found):
            return "\(source): tensor \(tensor) has shape \(found), the architecture expects \(expected). Hint: check latentDimension, baseWidth and imageShape in config.json."
        case let .nonFinite(source, tensor, index):
            return "\(source): tensor \(tensor) holds a non-finite value at index \(index). Hint: the training diverged; use an earlier checkpoint or a lower learning rate."
        case let .invalidConfiguration(field, value, reason):
            return "invalid autoencoder configuration: \(field) = \(value): \(reason)."
        case let .incompatibleState(field, expected, found):
            return "trainer state does not fit: \(field) expected \(expected), found \(found). Hint: resume with the same model and settings."
        }
    }

    public var errorDescription: String? { description }
}
