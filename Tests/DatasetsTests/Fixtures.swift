import CJPEG
import CZlib
import Foundation
@testable import Datasets

/// Bytes the tests write themselves: JPEGs through libjpeg, PNGs through zlib, and a small PNG
/// decoder standing in for ImageFormats' (the loader takes any decoder closure).
enum Fixtures {
    /// A JPEG of `pixels` (rows top to bottom, `channels` = 1 or 3 interleaved bytes per pixel).
    static func jpeg(width: Int, height: Int, channels: Int, pixels: [UInt8], quality: Int32 = 95) -> Data {
        precondition(pixels.count == width * height * channels)
        var compressor = jpeg_compress_struct()
        var errorManager = jpeg_error_mgr()
        compressor.err = jpeg_std_error(&errorManager)
        jpeg_CreateCompress(&compressor, JPEG_LIB_VERSION, MemoryLayout<jpeg_compress_struct>.size)
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        jpeg_mem_dest(&compressor, &buffer, &size)
        compressor.image_width = JDIMENSION(width)
        compressor.image_height = JDIMENSION(height)
        compressor.input_components = Int32(channels)
        compressor.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB
        jpeg_set_defaults(&compressor)
        jpeg_set_quality(&compressor, quality, 1)
        if channels == 3 { // no chroma subsampling, so colours stay exact enough to test
            for index in 0..<3 {
                compressor.comp_info[index].h_samp_factor = 1
                compressor.comp_info[index].v_samp_factor = 1
            }
        }
        jpeg_start_compress(&compressor, 1)
        pixels.withUnsafeBufferPointer { source in
            while compressor.next_scanline < compressor.image_height {
                var row: JSAMPROW? = UnsafeMutablePointer(mutating: source.baseAddress! + Int(compressor.next_scanline) * width * channels)
                jpeg_write_scanlines(&compressor, &row, 1)
            }
        }
        jpeg_finish_compress(&compressor)
        jpeg_destroy_compress(&compressor)
        let data = Data(bytes: buffer!, count: Int(size))
        free(buffer)
        return data
    }
}
