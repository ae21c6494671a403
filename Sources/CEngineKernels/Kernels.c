// The kernels of Kernels.h (KernelsTemplate.h), once per instruction-set
// level, and the run-time query of the levels the CPU has.
//
// Each level's functions carry a `target` attribute (pushed below), so this
// file needs no compiler flags: the package stays usable as a dependency.
// `__builtin_cpu_supports` reads CPUID and XGETBV (whether the operating
// system saves the wider registers).
#include "CEngineKernels.h"

#include <stdio.h>
#include <stdlib.h>

const char *cek_requested_level(void) { return getenv("FILTERBANK_ISA"); }

void cek_warn(const char *line) { fprintf(stderr, "%s\n", line); }

#if defined(__x86_64__)

int cek_supported_levels(void) {
    __builtin_cpu_init();
    int levels = 1;
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (avx2) levels |= 2;
    if (avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq"))
        levels |= 4;
    return levels;
}

typedef float cek_v8 __attribute__((ext_vector_type(8)));
typedef float cek_v16 __attribute__((ext_vector_type(16)));

// AVX2 + FMA: sixteen 8-lane registers.
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define LEVEL avx2
#define VL 8
#define BROADCAST_PIXELS 8
#define POINTWISE_PIXELS 4
#define WIDE_BLOCKS 0  /* four rows by six vectors would spill: twelve accumulators at most */
#include "KernelsTemplate.h"
#undef WIDE_BLOCKS
#undef LEVEL
#undef VL
#undef BROADCAST_PIXELS
#undef POINTWISE_PIXELS
#pragma clang attribute pop

// AVX-512: thirty-two 16-lane registers.
#pragma clang attribute push(__attribute__((target("avx2,fma,avx512f,avx512vl,avx512bw,avx512dq"))), apply_to = function)
#define LEVEL avx512
#define VL 16
#define BROADCAST_PIXELS 16
#define POINTWISE_PIXELS 8
#define WIDE_BLOCKS 1  /* block6: 24 accumulators of the 32 registers */
#include "KernelsTemplate.h"
#undef WIDE_BLOCKS
#undef LEVEL
#undef VL
#undef BROADCAST_PIXELS
#undef POINTWISE_PIXELS
#pragma clang attribute pop

#else

int cek_supported_levels(void) { return 1; }

#endif
