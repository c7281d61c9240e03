import CMPI

/// The MPI library's lifetime in this process: `start()` once (MPI_Init_thread, funneled: only the
/// thread that started MPI calls it; worker threads compute only), `finish()` once at the end.
///
/// A process started without `mpirun` becomes a world of one rank (Open MPI's singleton mode).
public enum MPIEnvironment {
    /// Whether MPI has been initialised (and not finalised) in this process.
    public static var isRunning: Bool {
        var started: Int32 = 0, finished: Int32 = 0
        MPI_Initialized(&started)
        MPI_Finalized(&finished)
        return started != 0 && finished == 0
    }

    /// Initialises MPI and returns the world communicator, whose error handler is set to
    /// `MPI_ERRORS_RETURN` so that failures surface as `MPIError`s.
    public static func start() throws(MPIError) -> MPICommunicator {
        var started: Int32 = 0
        MPI_Initialized(&started)
        if started == 0 {
            var provided: Int32 = 0
            try MPIError.check(MPI_Init_thread(nil, nil, latentot_mpi_thread_funneled(), &provided), "MPI_Init_thread")
        }
        let world = latentot_mpi_comm_world()!
        try MPIError.check(MPI_Comm_set_errhandler(world, latentot_mpi_errors_return()), "MPI_Comm_set_errhandler")
        return try MPICommunicator(handle: world)
    }

    /// Finalises MPI (a no-op when it is not running), after freeing what `world` created. Every
    /// rank must call it before exiting normally; a rank that exits without it makes `mpirun` end
    /// the job with an error.
    public static func finish(_ world: MPICommunicator?) {
        if isRunning {
            world?.release()
            MPI_Finalize()
        }
    }

    /// Ends every rank of the job at once with `code` (MPI_Abort on the world communicator): for a
    /// failure that the other ranks cannot learn about through a collective call.
    public static func abort(code: Int32) -> Never {
        MPI_Abort(latentot_mpi_comm_world(), code)
        fatalError("MPI_Abort returned")
    }

    /// The MPI library's version string, e.g. "Open MPI v4.1.4, ...".
    public static var libraryVersion: String {
        var buffer = [CChar](repeating: 0, count: 512)
        var length: Int32 = 0
        MPI_Get_library_version(&buffer, &length)
        let bytes = buffer.prefix(Int(max(0, length))).map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self).trimmingTrailingWhitespace
    }
}

extension String {
    var trimmingTrailingWhitespace: String {
        var s = Substring(self)
        while let last = s.last, last.isWhitespace || last == "\0" { s = s.dropLast() }
        return String(s)
    }
}
