import CMPI

/// A failed MPI call: which operation, MPI's error code and MPI's own message.
///
/// The world communicator's error handler is `MPI_ERRORS_RETURN` (set by `MPIEnvironment.start`), so a
/// failure (a peer that died, a message that could not be delivered) comes back here as a Swift error
/// instead of aborting the process inside the library.
public struct MPIError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The call that failed, e.g. `"MPI_Allreduce (cell assignment of 16384 points)"`.
    public var operation: String
    /// The MPI error code (`MPI_SUCCESS` = 0 is never reported).
    public var code: Int32
    /// MPI's text for `code`.
    public var message: String

    public init(operation: String, code: Int32, message: String) {
        self.operation = operation
        self.code = code
        self.message = message
    }

    public var description: String {
        "\(operation) failed with MPI error \(code): \(message) (another rank may have stopped; see its message)"
    }

    /// MPI's text for an error code.
    static func text(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: Int(latentot_mpi_max_error_string()) + 1)
        var length: Int32 = 0
        guard MPI_Error_string(code, &buffer, &length) == latentot_mpi_success() else { return "unknown error" }
        let bytes = buffer.prefix(Int(max(0, length))).map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Throws unless `code` is `MPI_SUCCESS`.
    @inline(__always)
    static func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(MPIError) {
        if code != latentot_mpi_success() {
            throw MPIError(operation: operation(), code: code, message: text(code))
        }
    }
}
