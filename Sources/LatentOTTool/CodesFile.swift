import Foundation
import Datasets
import LatentOT

/// Reads a codes file: a 2-D `.npy` (float32 or float64, C order), finite, non-empty.
enum CodesFile {
    /// The values (row-major) and the row count; `dimension`, when given, must match the columns.
    static func read(_ path: String, dimension: Int? = nil, field: String = "codes") throws -> (values: [Float], rows: Int) {
        let array = try NumpyArray.read(URL(fileURLWithPath: path))
        guard array.shape.count == 2 else {
            throw LatentOTError.invalidValue(field: "\(path): shape", expected: "a 2-D array (n × d)", found: "\(array.shape)")
        }
        guard array.shape[0] > 0 && array.shape[1] > 0 else {
            throw LatentOTError.invalidValue(field: "\(path): shape", expected: "at least one row and one column", found: "\(array.shape)")
        }
        switch array.storage {
        case .float32, .float64: break
        default:
            throw LatentOTError.invalidValue(field: "\(path): dtype", expected: "float32 (<f4) or float64 (<f8) \(field)", found: "\(array.dataType.rawValue)")
        }
        if let dimension, array.shape[1] != dimension {
            throw LatentOTError.invalidValue(field: "\(path): columns", expected: "\(dimension) (the model's latent dimension)", found: "\(array.shape[1])")
        }
        return (try array.floatValues(), array.shape[0])
    }
}
