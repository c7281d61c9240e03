/// Errors from reading or writing images: each names the source (file path or `"<memory>"`),
/// what was expected, what was found, and where possible a hint.
///
/// Bad outside input (a corrupt file, an image too large to hold) throws one of these; a
/// programmer error (a tensor of the wrong rank, a negative width) is a `precondition` instead.
public enum ImageFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes are not a readable PNG: bad signature, truncated, bad CRC, corrupt zlib stream.
    case invalidPNG(source: String, reason: String)
    /// A well-formed image this module does not handle (e.g. a channel count it cannot produce).
    case unsupported(source: String, reason: String)
    /// The header announces more pixels than the caller allows (a guard against memory bombs).
    case imageTooLarge(source: String, width: Int, height: Int, maximumPixelCount: Int)
    /// libpng refused to encode an image (should not happen for a valid `RasterImage`).
    case encodingFailed(reason: String)

    public var description: String {
        switch self {
        case let .invalidPNG(source, reason):
            return "\(source): not a readable PNG: \(reason). "
                + "Hint: check that the file is complete and really is a PNG (first bytes 89 50 4E 47 0D 0A 1A 0A)."
        case let .unsupported(source, reason):
            return "\(source): unsupported image: \(reason)."
        case let .imageTooLarge(source, width, height, maximumPixelCount):
            return "\(source): image of \(width)×\(height) = \(width * height) pixels exceeds the limit of "
                + "\(maximumPixelCount) pixels. Hint: raise `maximumPixelCount` if the file is trusted."
        case let .encodingFailed(reason):
            return "PNG encoding failed: \(reason)."
        }
    }
}
