import CJPEG
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decodes baseline, progressive and arithmetic-coded 8-bit JPEG images through libjpeg(-turbo).
///
/// ## Errors without setjmp
/// libjpeg reports a fatal error by calling `error_exit`, which must not return (the default one
/// calls `exit()`, and C callers `longjmp` out). Swift cannot `setjmp`/`longjmp`, and this target
/// may not add a C shim, so the decoder does two things instead:
/// 1. It checks the file's marker structure first (`JPEGStructure.validate`): SOI, a frame header
///    (SOFn) with non-zero sizes under the pixel limit and 1, 3 or 4 components, a scan (SOS), and
///    an end-of-image marker (EOI). Most damaged files are refused here with a precise message.
/// 2. It runs libjpeg on a thread of its own whose `error_exit` records the message and ends that
///    thread with `pthread_exit`. The caller joins the thread, reads the message and destroys the
///    decompressor (`jpeg_destroy_decompress` frees every allocation libjpeg made), as a C caller
///    would after `longjmp`. The decoding thread touches only raw memory owned by the caller, so
///    ending it early leaks nothing.
///
/// Warnings (for example "premature end of data segment", where libjpeg fills the rest with grey)
/// are treated as errors: a training set should not silently contain half-grey images.
public enum JPEGDecoder {
    /// Whether `data` starts with the JPEG start-of-image marker FF D8 FF.
    public static func isJPEG(_ data: Data) -> Bool {
        data.count >= 3 && data.prefix(3).elementsEqual([0xFF, 0xD8, 0xFF])
    }

    /// Decodes `data` to grey (one-component files) or RGB (all others): rows top to bottom,
    /// `channels` (1 or 3) interleaved bytes per pixel.
    /// - Parameters:
    ///   - source: the file name used in error messages.
    ///   - maxPixelCount: the largest width × height accepted (checked from the frame header
    ///     before anything is allocated).
    /// - Throws: `DatasetError.wrongMagic`, `.truncated` or `.corruptImage` naming the marker or
    ///   libjpeg's message.
    public static func decode(_ data: Data, source: String, maxPixelCount: Int = 1 << 26) throws(DatasetError) -> DecodedPixels {
        try data.withBytes { (raw: UnsafeRawBufferPointer) throws(DatasetError) -> DecodedPixels in
            _ = try JPEGStructure.validate(raw, source: source, maxPixelCount: maxPixelCount)
            let input = raw.bindMemory(to: UInt8.self)

            let job = UnsafeMutablePointer<Job>.allocate(capacity: 1)
            job.initialize(to: Job(input: input.baseAddress!, inputCount: input.count, maxPixelCount: maxPixelCount))
            defer {
                if job.pointee.created { jpeg_destroy_decompress(job.pointee.decompressor) }
                job.pointee.output?.deallocate()
                job.pointee.release()
                job.deinitialize(count: 1)
                job.deallocate()
            }

            var thread = pthread_t()
            let started = pthread_create(&thread, nil, { argument in
                JPEGDecoder.run(argument!.assumingMemoryBound(to: Job.self))
                return nil
            }, UnsafeMutableRawPointer(job))
            guard started == 0 else {
                throw .corruptImage(file: source, field: "JPEG", reason: "could not start a decoding thread (error \(started))")
            }
            pthread_join(thread, nil)

            let result = job.pointee
            if result.failed {
                throw .corruptImage(file: source, field: "JPEG data", reason: "libjpeg: \(String(cString: result.message))")
            }
            if result.warningCount > 0 {
                throw .corruptImage(file: source, field: "JPEG data",
                                    reason: "libjpeg: \(String(cString: result.message)) (\(result.warningCount) warning(s))")
            }
            guard result.finished, let output = result.output else {
                throw .corruptImage(file: source, field: "JPEG data", reason: "the decoder stopped without an image")
            }
            let count = result.width * result.height * result.channels
            return (width: result.width, height: result.height, channels: result.channels,
                    pixels: Array(UnsafeBufferPointer(start: output, count: count)))
        }
    }

    /// Everything the decoding thread reads and writes; owned by the calling thread.
    struct Job {
        let input: UnsafePointer<UInt8>
        let inputCount: Int
        let maxPixelCount: Int
        let decompressor = UnsafeMutablePointer<jpeg_decompress_struct>.allocate(capacity: 1)
        let errorManager = UnsafeMutablePointer<jpeg_error_mgr>.allocate(capacity: 1)
        /// The first error or warning message (JMSG_LENGTH_MAX is 200).
        let message = UnsafeMutablePointer<CChar>.allocate(capacity: 256)
        var output: UnsafeMutablePointer<UInt8>?
        var width = 0, height = 0, channels = 0
        var created = false, failed = false, finished = false
        var warningCount = 0

        init(input: UnsafePointer<UInt8>, inputCount: Int, maxPixelCount: Int) {
            self.input = input
            self.inputCount = inputCount
            self.maxPixelCount = maxPixelCount
            decompressor.initialize(to: jpeg_decompress_struct())
            errorManager.initialize(to: jpeg_error_mgr())
            message.initialize(repeating: 0, count: 256)
        }

        func release() {
            decompressor.deallocate()
            errorManager.deallocate()
            message.deallocate()
        }
    }

    /// The decoding thread's body. It must hold no Swift references: `pthread_exit` may end it
    /// from inside libjpeg, skipping everything after the failing call.
    static func run(_ job: UnsafeMutablePointer<Job>) {
        let decompressor = job.pointee.decompressor
        decompressor.pointee.err = jpeg_std_error(job.pointee.errorManager)
        job.pointee.errorManager.pointee.error_exit = { common in
            let job = common!.pointee.client_data!.assumingMemoryBound(to: Job.self)
            if !job.pointee.failed && job.pointee.warningCount == 0 {
                common!.pointee.err.pointee.format_message(common, job.pointee.message)
            }
            job.pointee.failed = true
            pthread_exit(nil)
        }
        job.pointee.errorManager.pointee.emit_message = { common, level in
            guard level < 0 else { return } // trace messages
            let job = common!.pointee.client_data!.assumingMemoryBound(to: Job.self)
            if job.pointee.warningCount == 0 {
                common!.pointee.err.pointee.format_message(common, job.pointee.message)
            }
            job.pointee.warningCount += 1
        }
        job.pointee.errorManager.pointee.output_message = { _ in } // libraries never print
        decompressor.pointee.client_data = UnsafeMutableRawPointer(job)
        jpeg_CreateDecompress(decompressor, JPEG_LIB_VERSION, MemoryLayout<jpeg_decompress_struct>.size)
        job.pointee.created = true

        jpeg_mem_src(decompressor, job.pointee.input, UInt(job.pointee.inputCount))
        _ = jpeg_read_header(decompressor, 1)
        decompressor.pointee.out_color_space = decompressor.pointee.num_components == 1 ? JCS_GRAYSCALE : JCS_RGB
        _ = jpeg_start_decompress(decompressor)
        let width = Int(decompressor.pointee.output_width)
        let height = Int(decompressor.pointee.output_height)
        let channels = Int(decompressor.pointee.output_components)
        guard width > 0, height > 0, width * height <= job.pointee.maxPixelCount, channels == 1 || channels == 3 else {
            job.pointee.failed = true
            strcpy(job.pointee.message, "unexpected output size or channel count")
            jpeg_abort_decompress(decompressor)
            return
        }
        let rowBytes = width * channels
        let output = UnsafeMutablePointer<UInt8>.allocate(capacity: rowBytes * height)
        job.pointee.output = output
        job.pointee.width = width
        job.pointee.height = height
        job.pointee.channels = channels
        while decompressor.pointee.output_scanline < decompressor.pointee.output_height {
            var row: JSAMPROW? = output + Int(decompressor.pointee.output_scanline) * rowBytes
            if jpeg_read_scanlines(decompressor, &row, 1) != 1 { break }
        }
        let complete = decompressor.pointee.output_scanline == decompressor.pointee.output_height
        _ = jpeg_finish_decompress(decompressor)
        job.pointee.finished = complete
    }
}

/// A structural check of a JPEG file's markers, done before libjpeg sees it.
enum JPEGStructure {
    /// What the frame header (SOFn) says.
    struct Frame: Equatable {
        var width: Int
        var height: Int
        var components: Int
        var isProgressive: Bool
    }

    /// Walks the markers from SOI to the first scan (SOS) and checks an EOI follows.
    /// - Throws: `DatasetError.corruptImage` or `.truncated` naming the marker that is wrong.
    static func validate(_ bytes: UnsafeRawBufferPointer, source: String, maxPixelCount: Int) throws(DatasetError) -> Frame {
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else {
            throw .wrongMagic(file: source, field: "SOI marker", expected: "ff d8", found: hex(bytes, 0, 2))
        }
        var position = 2
        var frame: Frame?
        while true {
            guard position + 1 < bytes.count else {
                throw .truncated(file: source, field: "JPEG markers", expectedBytes: position + 2, foundBytes: bytes.count)
            }
            guard bytes[position] == 0xFF else {
                throw .corruptImage(file: source, field: "marker at byte \(position)",
                                    reason: "expected a marker (ff xx), found \(hex(bytes, position, 2))")
            }
            var marker = bytes[position + 1]
            while marker == 0xFF, position + 2 < bytes.count { // fill bytes
                position += 1
                marker = bytes[position + 1]
            }
            position += 2
            switch marker {
            case 0xD8:
                throw .corruptImage(file: source, field: "marker at byte \(position - 2)", reason: "a second start-of-image marker")
            case 0xD9:
                throw .corruptImage(file: source, field: "EOI marker", reason: "end of image before any scan")
            case 0x01, 0xD0...0xD7:
                continue // no length
            default:
                break
            }
            guard position + 2 <= bytes.count else {
                throw .truncated(file: source, field: String(format: "length of marker ff %02x", marker),
                                 expectedBytes: position + 2, foundBytes: bytes.count)
            }
            let length = Int(bytes[position]) << 8 | Int(bytes[position + 1])
            guard length >= 2 else {
                throw .corruptImage(file: source, field: String(format: "marker ff %02x", marker),
                                    reason: "segment length \(length) is below 2")
            }
            guard position + length <= bytes.count else {
                throw .truncated(file: source, field: String(format: "segment ff %02x", marker),
                                 expectedBytes: position + length, foundBytes: bytes.count)
            }
            let segment = position + 2
            switch marker {
            case 0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF:
                let field = String(format: "frame header (SOF ff %02x)", marker)
                guard length >= 8 else {
                    throw .corruptImage(file: source, field: field, reason: "length \(length) is below 8")
                }
                let precision = Int(bytes[segment])
                let height = Int(bytes[segment + 1]) << 8 | Int(bytes[segment + 2])
                let width = Int(bytes[segment + 3]) << 8 | Int(bytes[segment + 4])
                let components = Int(bytes[segment + 5])
                guard [0xC3, 0xC7, 0xCB, 0xCF].contains(marker) == false else {
                    throw .corruptImage(file: source, field: field, reason: "lossless JPEG is not supported")
                }
                guard precision == 8 else {
                    throw .corruptImage(file: source, field: field, reason: "expected 8-bit samples, found \(precision)-bit")
                }
                guard width > 0, height > 0 else {
                    throw .corruptImage(file: source, field: field, reason: "expected a non-zero size, found \(width) × \(height)")
                }
                guard width * height <= maxPixelCount else {
                    throw .corruptImage(file: source, field: field,
                                        reason: "\(width) × \(height) pixels exceed the limit of \(maxPixelCount)")
                }
                guard [1, 3, 4].contains(components) else {
                    throw .corruptImage(file: source, field: field, reason: "expected 1, 3 or 4 components, found \(components)")
                }
                guard length >= 8 + 3 * components else {
                    throw .corruptImage(file: source, field: field,
                                        reason: "length \(length) is too short for \(components) components")
                }
                frame = Frame(width: width, height: height, components: components,
                              isProgressive: [0xC2, 0xC6, 0xCA, 0xCE].contains(marker))
            case 0xDA:
                guard let frame else {
                    throw .corruptImage(file: source, field: "scan header (SOS)", reason: "a scan before any frame header (SOFn)")
                }
                // Entropy-coded data stuffs every ff with 00, so ff d9 after the first scan is the EOI.
                var index = position + length
                while index + 1 < bytes.count {
                    if bytes[index] == 0xFF && bytes[index + 1] == 0xD9 { return frame }
                    index += 1
                }
                throw .truncated(file: source, field: "EOI marker (ff d9)", expectedBytes: bytes.count + 2, foundBytes: bytes.count)
            default:
                break
            }
            position += length
        }
    }

    private static func hex(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ count: Int) -> String {
        let end = min(bytes.count, start + count)
        if start >= end { return "the end of the file" }
        return (start..<end).map { String(format: "%02x", bytes[$0]) }.joined(separator: " ")
    }
}
