// OpenBLAS's CBLAS interface (Debian: libopenblas-dev). Apple platforms use Accelerate instead.
#include <cblas.h>
// OpenBLAS extension: number of threads used inside one BLAS call.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
