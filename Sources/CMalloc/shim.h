#ifndef TIDE_CMALLOC_SHIM_H
#define TIDE_CMALLOC_SHIM_H
#include <malloc.h>

/* glibc's mallopt(M_ARENA_MAX, n): at most n malloc arenas for the whole process. Returns 1 on success. */
static inline int tide_limit_malloc_arenas(int n) { return mallopt(M_ARENA_MAX, n); }

#endif
