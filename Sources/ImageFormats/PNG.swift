import CPNG
import Foundation

/// PNG encoding and decoding through libpng's simplified API (`png_image_*`).
///
/// Why the simplified API: it expands every PNG flavour (palette, 1–16-bit, grey, alpha,
/// interlaced) into plain 8-bit grey or RGB, and it traps libpng's `longjmp` errors in C, so
/// corrupt input comes back as a failure code (turned into `ImageFormatError`), never a crash.
/// Nothing is printed: libpng's messages are stored in the `png_image` and quoted in the error.
public enum PNG {
    /// The eight bytes every PNG starts with.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Default limit on `width·height` for `decode`: 2²⁸ pixels (768 MB as RGB).
    public static let defaultMaximumPixelCount = 1 << 28

    /// Encodes an 8-bit grey or RGB image as a PNG (colour type 0 or 2, 8 bits, not interlaced,
    /// with an sRGB chunk). The bytes depend only on the image: the same image gives the same bytes.
    public static func encode(_ image: RasterImage) throws -> Data {
        guard image.width > 0, image.height > 0 else {
            throw ImageFormatError.encodingFailed(reason: "PNG needs at least 1×1 pixels, got \(image.width)×\(image.height)")
        }
        guard image.width <= Int(Int32.max) / image.channels, image.height <= Int(UInt32.max) else {
            throw ImageFormatError.encodingFailed(reason: "image of \(image.width)×\(image.height) is too large for PNG")
        }
        var control = png_image()
        control.version = UInt32(PNG_IMAGE_VERSION)
        control.width = UInt32(image.width)
        control.height = UInt32(image.height)
        control.format = image.channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
        let rowStride = Int32(image.width * image.channels)
        // A first guess that fits all but incompressible noise (stored zlib blocks add ~0.03%,
        // IDAT chunks 12 bytes each, the header and sRGB chunks < 100 bytes); libpng reports the
        // needed size if it is too small, and we try once more.
        var capacity = image.pixels.count + image.height + image.pixels.count / 64 + 1024
        for _ in 0..<2 {
            var output = Data(count: capacity)
            var written = capacity
            let succeeded = output.withUnsafeMutableBytes { destination in
                image.pixels.withUnsafeBytes { source in
                    png_image_write_to_memory(&control, destination.baseAddress, &written, 0,
                                              source.baseAddress, rowStride, nil)
                }
            }
            defer { png_image_free(&control) }
            if succeeded != 0 {
                output.count = written
                return output
            }
            if written > capacity {           // the buffer was too small: `written` is the size needed
                capacity = written
                control.warning_or_error = 0
                continue
            }
            throw ImageFormatError.encodingFailed(reason: message(of: control))
        }
        throw ImageFormatError.encodingFailed(reason: "output buffer of \(capacity) bytes still too small")
    }

    /// Decodes a PNG to an 8-bit grey (`channels: 1`) or RGB (`channels: 3`) image.
    ///
    /// - Parameters:
    ///   - data: the whole file.
    ///   - channels: 1 or 3 to force grey or RGB; `nil` keeps the file's kind (grey files give
    ///     grey, colour and palette files give RGB). Colour is made grey by libpng from linear light.
    ///   - source: the file name quoted in errors.
    ///   - maximumPixelCount: refuse images whose header announces more pixels than this.
    /// - Alpha is removed by compositing on white. 16-bit samples without gAMA/sRGB chunks are
    ///   read as sRGB-encoded (libpng's default would be linear) and scaled to 8 bits as
    ///   round(v/257); a gAMA chunk, when present, is honoured (libpng converts to sRGB).
    ///   Palette and sub-byte depths are expanded (a 1-bit 1 becomes 255).
    /// - Throws: `ImageFormatError.invalidPNG` for a wrong signature, truncated data, a bad CRC in a
    ///   critical chunk or a corrupt zlib stream; `.imageTooLarge` past `maximumPixelCount`.
    public static func decode(_ data: Data, channels: Int? = nil, source: String = "<memory>",
                              maximumPixelCount: Int = PNG.defaultMaximumPixelCount) throws -> RasterImage {
        precondition(channels == nil || channels == 1 || channels == 3,
                     "PNG.decode: channels must be nil, 1 or 3, got \(String(describing: channels))")
        let prefix = [UInt8](data.prefix(signature.count))
        guard prefix == signature else {
            let found = prefix.map { String(format: "%02X", $0) }.joined(separator: " ")
            throw ImageFormatError.invalidPNG(
                source: source,
                reason: data.count < signature.count && signature.starts(with: prefix)
                    ? "truncated: \(data.count) bytes, shorter than the 8-byte signature"
                    : "expected the signature 89 50 4E 47 0D 0A 1A 0A, found \(found.isEmpty ? "no bytes" : found)")
        }
        return try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) throws -> RasterImage in
            var control = png_image()
            control.version = UInt32(PNG_IMAGE_VERSION)
            defer { png_image_free(&control) }
            guard png_image_begin_read_from_memory(&control, bytes.baseAddress, bytes.count) != 0 else {
                throw ImageFormatError.invalidPNG(source: source, reason: "header: " + message(of: control))
            }
            let width = Int(control.width), height = Int(control.height)
            guard width.multipliedReportingOverflow(by: height).overflow == false,
                  width * height <= maximumPixelCount else {
                throw ImageFormatError.imageTooLarge(source: source, width: width, height: height,
                                                     maximumPixelCount: maximumPixelCount)
            }
            let fileIsColour = control.format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
            let outputChannels = channels ?? (fileIsColour ? 3 : 1)
            control.format = outputChannels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
            control.flags |= UInt32(PNG_IMAGE_FLAG_16BIT_sRGB)
            var pixels = [UInt8](repeating: 0, count: width * height * outputChannels)
            var white = png_color(red: 255, green: 255, blue: 255)
            let succeeded = pixels.withUnsafeMutableBytes { buffer in
                png_image_finish_read(&control, &white, buffer.baseAddress, Int32(width * outputChannels), nil)
            }
            guard succeeded != 0 else {
                throw ImageFormatError.invalidPNG(source: source, reason: message(of: control))
            }
            return RasterImage(width: width, height: height, channels: outputChannels, pixels: pixels)
        }
    }

    /// libpng's message stored in the control structure, or a generic text if it left none.
    private static func message(of control: png_image) -> String {
        var copy = control.message
        let text = withUnsafeBytes(of: &copy) { raw -> String in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
        if text.isEmpty { return "libpng reported an error without a message" }
        return text.contains("beyond end of data") ? "truncated (libpng: \(text))" : "libpng: \(text)"
    }
}
