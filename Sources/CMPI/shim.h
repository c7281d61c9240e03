// Open MPI's C API (Debian: libopenmpi-dev). Its predefined handles (MPI_COMM_WORLD, MPI_DOUBLE,
// MPI_SUM, ...) are macros over the addresses of global symbols, which Swift cannot import: the
// functions below return them.
#include <mpi.h>

static inline MPI_Comm latentot_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm latentot_mpi_comm_null(void) { return MPI_COMM_NULL; }

static inline MPI_Datatype latentot_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype latentot_mpi_int32(void) { return MPI_INT32_T; }
static inline MPI_Datatype latentot_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype latentot_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype latentot_mpi_double(void) { return MPI_DOUBLE; }
/// `struct { float value; int index; }`, the pair type of MPI_MAXLOC.
static inline MPI_Datatype latentot_mpi_float_int(void) { return MPI_FLOAT_INT; }
static inline MPI_Datatype latentot_mpi_datatype_null(void) { return MPI_DATATYPE_NULL; }

static inline MPI_Op latentot_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op latentot_mpi_max(void) { return MPI_MAX; }
static inline MPI_Op latentot_mpi_min(void) { return MPI_MIN; }
static inline MPI_Op latentot_mpi_maxloc(void) { return MPI_MAXLOC; }
static inline MPI_Op latentot_mpi_op_null(void) { return MPI_OP_NULL; }

static inline MPI_Errhandler latentot_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }

/// `MPI_IN_PLACE`: the send buffer is the receive buffer.
static inline void *latentot_mpi_in_place(void) { return MPI_IN_PLACE; }

static inline int latentot_mpi_success(void) { return MPI_SUCCESS; }
static inline int latentot_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline int latentot_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }

#include <stdint.h>

/// One point's best target: the layout of MPI_FLOAT_INT, reduced with MPI_MAXLOC (the larger score
/// wins; equal scores keep the lower index).
typedef struct {
    float score;
    int32_t index;
} latentot_score_index;

/// One point's two best targets, best first; reduced by a custom operation that merges two such
/// lists under the same order (score descending, then index ascending).
typedef struct {
    float bestScore;
    int32_t best;
    float secondScore;
    int32_t second;
} latentot_top_two;
