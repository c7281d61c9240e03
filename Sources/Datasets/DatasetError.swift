import Foundation

/// Everything that can be wrong with data read from outside: a file, a folder, a dataset name.
///
/// Every case names the file (or folder, or name given), the field that is wrong, what was
/// expected and what was found; `description` adds a hint saying what to do about it. Readers
/// throw these with typed throws, so a caller can switch over the cases.
public enum DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be read at all (missing, a folder, no permission).
    case unreadable(file: String, reason: String)
    /// The bytes end before `field` does.
    case truncated(file: String, field: String, expectedBytes: Int, foundBytes: Int)
    /// The file does not start with the format's magic bytes.
    case wrongMagic(file: String, field: String, expected: String, found: String)
    /// A shape, rank or size disagrees with what the reader needs.
    case wrongShape(file: String, field: String, expected: String, found: String)
    /// The element type is not one this reader handles.
    case unsupportedDataType(file: String, field: String, found: String, supported: [String])
    /// The header claims more bytes than the file holds; refused before allocating anything.
    /// `claimed` spells out the product (it may not fit in an `Int`).
    case claimedSizeTooLarge(file: String, field: String, claimed: String, availableBytes: Int)
    /// A NaN or infinity at flat index `index` (row-major).
    case nonFiniteValue(file: String, field: String, index: Int, found: String)
    /// A finite value outside the allowed range, at flat index `index`.
    case valueOutOfRange(file: String, field: String, index: Int, expected: String, found: String)
    /// A NumPy array stored in column-major (Fortran) order.
    case fortranOrder(file: String, field: String)
    /// A big-endian array (LatentOT reads little-endian NumPy files only).
    case bigEndian(file: String, field: String, found: String)
    /// A header that cannot be parsed.
    case unparseableHeader(file: String, field: String, reason: String, found: String)
    /// Two counts that must agree do not (images and labels, entries and central directory).
    case countMismatch(file: String, field: String, expected: Int, found: Int)
    /// Compressed data that zlib refuses (bad checksum, bad block, cut short, trailing bytes).
    case corruptCompressedData(file: String, field: String, reason: String)
    /// Decompressing would produce more than `limitBytes` (a gzip bomb, or a limit set too low).
    case sizeLimitExceeded(file: String, field: String, limitBytes: Int)
    /// An image file whose bytes the decoder refuses.
    case corruptImage(file: String, field: String, reason: String)
    /// A file whose leading bytes are neither PNG nor JPEG.
    case unsupportedImageFormat(file: String, found: String)
    /// A PNG file met while no PNG decoder was given to the loader.
    case missingDecoder(file: String, format: String)
    /// A folder with nothing this loader can read.
    case emptyFolder(folder: String, expected: String)
    /// A folder missing one of the files a format needs.
    case missingFile(folder: String, expected: [String], found: [String])
    /// A named dataset found in none of the places searched.
    case missingDataset(name: String, searched: [String], provider: String)
    /// Neither a dataset name nor a path to something that exists.
    case unknownDataset(nameOrPath: String, knownNames: [String])

    /// The file, folder or name the error is about.
    public var file: String {
        switch self {
        case .unreadable(let file, _), .truncated(let file, _, _, _), .wrongMagic(let file, _, _, _),
             .wrongShape(let file, _, _, _), .unsupportedDataType(let file, _, _, _),
             .claimedSizeTooLarge(let file, _, _, _), .nonFiniteValue(let file, _, _, _),
             .valueOutOfRange(let file, _, _, _, _), .fortranOrder(let file, _), .bigEndian(let file, _, _),
             .unparseableHeader(let file, _, _, _), .countMismatch(let file, _, _, _),
             .corruptCompressedData(let file, _, _), .sizeLimitExceeded(let file, _, _),
             .corruptImage(let file, _, _), .unsupportedImageFormat(let file, _), .missingDecoder(let file, _):
            return file
        case .emptyFolder(let folder, _), .missingFile(let folder, _, _):
            return folder
        case .missingDataset(let name, _, _):
            return name
        case .unknownDataset(let nameOrPath, _):
            return nameOrPath
        }
    }

    /// The field (header entry, section, array) the error is about; empty when the whole file is.
    public var field: String {
        switch self {
        case .truncated(_, let field, _, _), .wrongMagic(_, let field, _, _), .wrongShape(_, let field, _, _),
             .unsupportedDataType(_, let field, _, _), .claimedSizeTooLarge(_, let field, _, _),
             .nonFiniteValue(_, let field, _, _), .valueOutOfRange(_, let field, _, _, _),
             .fortranOrder(_, let field), .bigEndian(_, let field, _), .unparseableHeader(_, let field, _, _),
             .countMismatch(_, let field, _, _), .corruptCompressedData(_, let field, _),
             .sizeLimitExceeded(_, let field, _), .corruptImage(_, let field, _):
            return field
        case .unsupportedImageFormat, .missingDecoder, .unreadable, .emptyFolder, .missingFile,
             .missingDataset, .unknownDataset:
            return ""
        }
    }

    /// What to do about it.
    public var hint: String {
        switch self {
        case .unreadable:
            return "check the path and the file's permissions"
        case .truncated:
            return "the file is cut short: copy or download it again"
        case .wrongMagic:
            return "check that the file is in the format its name says (an unpacked or renamed file?)"
        case .wrongShape:
            return "check the array's dimensions; images are [n, h, w], [n, c, h, w] or [n, h, w, c] with c = 1 or 3"
        case .unsupportedDataType(_, _, _, let supported):
            return "convert the array to one of: \(supported.joined(separator: ", "))"
        case .claimedSizeTooLarge:
            return "the header's sizes are corrupt or the file is cut short; nothing was allocated"
        case .nonFiniteValue:
            return "replace NaN and infinite values before loading (e.g. numpy.nan_to_num)"
        case .valueOutOfRange:
            return "scale images to [0, 1] (divide uint8 pixels by 255) and use labels 0..<classCount"
        case .fortranOrder:
            return "save a C-ordered array (numpy.ascontiguousarray(a)) and write it again"
        case .bigEndian:
            return "convert to little-endian (a.astype(a.dtype.newbyteorder('<'))) and write it again"
        case .unparseableHeader:
            return "write the file with numpy.save, which writes a header this reader understands"
        case .countMismatch:
            return "the files belong to different datasets or one is cut short"
        case .corruptCompressedData:
            return "the compressed file is damaged: copy or download it again"
        case .sizeLimitExceeded:
            return "refused to decompress further; raise the size limit if the file is genuine"
        case .corruptImage:
            return "open the file in an image viewer; re-encode or remove it"
        case .unsupportedImageFormat:
            return "convert the image to PNG or JPEG, or remove it from the folder"
        case .missingDecoder:
            return "pass a PNG decoder (e.g. PNG.decode from ImageFormats) to the image folder loader"
        case .emptyFolder:
            return "put .png or .jpg images (or one sub-folder of images per class) in the folder"
        case .missingFile:
            return "an IDX dataset folder holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each optionally gzip-compressed (.gz)"
        case .missingDataset(_, _, let provider):
            return provider
        case .unknownDataset:
            return "give a dataset name, an IDX folder, a .npy or .npz file, or a folder of PNG/JPEG images"
        }
    }

    public var description: String {
        let fieldPart = field.isEmpty ? "" : "\(field): "
        let body: String
        switch self {
        case .unreadable(_, let reason):
            body = "cannot read the file: \(reason)"
        case .truncated(_, _, let expected, let found):
            body = "truncated: expected \(expected) bytes, found \(found)"
        case .wrongMagic(_, _, let expected, let found):
            body = "wrong magic number: expected \(expected), found \(found)"
        case .wrongShape(_, _, let expected, let found):
            body = "wrong shape: expected \(expected), found \(found)"
        case .unsupportedDataType(_, _, let found, let supported):
            body = "unsupported data type: expected one of \(supported.joined(separator: ", ")), found \(found)"
        case .claimedSizeTooLarge(_, _, let claimed, let available):
            body = "the header claims \(claimed), but only \(available) bytes follow it"
        case .nonFiniteValue(_, _, let index, let found):
            body = "expected finite values, found \(found) at flat index \(index)"
        case .valueOutOfRange(_, _, let index, let expected, let found):
            body = "expected values in \(expected), found \(found) at flat index \(index)"
        case .fortranOrder:
            body = "expected C (row-major) order, found Fortran (column-major) order"
        case .bigEndian(_, _, let found):
            body = "expected a little-endian data type, found big-endian \(found)"
        case .unparseableHeader(_, _, let reason, let found):
            body = "cannot parse the header (\(reason)); found \(found)"
        case .countMismatch(_, _, let expected, let found):
            body = "counts disagree: expected \(expected), found \(found)"
        case .corruptCompressedData(_, _, let reason):
            body = "corrupt compressed data: \(reason)"
        case .sizeLimitExceeded(_, _, let limit):
            body = "decompressed data exceeds the limit of \(limit) bytes"
        case .corruptImage(_, _, let reason):
            body = "cannot decode the image: \(reason)"
        case .unsupportedImageFormat(_, let found):
            body = "expected a PNG or JPEG image, found leading bytes \(found)"
        case .missingDecoder(_, let format):
            body = "found a \(format) image, but no \(format) decoder was given"
        case .emptyFolder(_, let expected):
            body = "expected \(expected), found none"
        case .missingFile(_, let expected, let found):
            let shown = found.prefix(8).joined(separator: ", ") + (found.count > 8 ? ", … (\(found.count - 8) more)" : "")
            let foundList = found.isEmpty ? "an empty folder" : shown
            body = "missing file: expected \(expected.joined(separator: " or ")), found \(foundList)"
        case .missingDataset(_, let searched, _):
            body = "dataset not found; searched \(searched.joined(separator: ", "))"
        case .unknownDataset(_, let known):
            body = "neither a known dataset name (\(known.joined(separator: ", "))) nor an existing file or folder"
        }
        return "\(file): \(fieldPart)\(body). Hint: \(hint)."
    }
}
