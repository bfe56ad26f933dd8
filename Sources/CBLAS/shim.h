#ifndef EDITLAB_CBLAS_SHIM_H
#define EDITLAB_CBLAS_SHIM_H
#include <cblas.h>
#include <lapacke.h>
#endif
