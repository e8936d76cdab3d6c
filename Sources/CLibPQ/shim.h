#ifndef SEQTWINS_CLIBPQ_SHIM_H
#define SEQTWINS_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
