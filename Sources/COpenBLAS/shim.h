#ifndef SEQTWINS_COPENBLAS_SHIM_H
#define SEQTWINS_COPENBLAS_SHIM_H
#include <cblas.h>
/* Declared by OpenBLAS's cblas.h on most builds; repeated here so the names are always visible. */
char *openblas_get_corename(void);
int openblas_get_num_threads(void);
void openblas_set_num_threads(int num_threads);
char *openblas_get_config(void);
#endif
