// The engine's inner loops for instruction sets beyond the baseline, compiled
// once per level with `__attribute__((target(...)))` and chosen at run time
// (FilterBankKit's `InstructionSet`). The portable kernels stay in Swift
// (Sources/FilterBankKit/Engine/Kernels); on other architectures only the
// level query below exists and it answers "portable".
//
// Every function computes the same sums as its Swift counterpart (same
// arguments, same meaning: see the doc comments of `EngineKernels`), each
// output float's terms added in the same order (rows, then taps) with fused
// multiply-adds, so that a row computed alone or in a block of rows gives the
// same bits.
#ifndef CENGINEKERNELS_H
#define CENGINEKERNELS_H

#include <stddef.h>

#pragma clang assume_nonnull begin

/// Bit 1: AVX2+FMA, bit 2: AVX-512 (F, VL, BW, DQ) with FMA, as the CPU and the
/// operating system report them. Bit 0 (the portable kernels) is always set.
int cek_supported_levels(void);

/// The `FILTERBANK_ISA` environment variable, or NULL when it is not set.
const char *_Nullable cek_requested_level(void);

/// Writes one line to standard error (the level choice's warning).
void cek_warn(const char *line);

#if defined(__x86_64__)

// The kernels, one set per level (Kernels.c); the arguments are those of the Swift
// kernels of the same names.
void cek_avx2_sweep_row(const float *_Nonnull const *_Nonnull sources, const float *_Nonnull const *_Nonnull weights,
                        long rows, long taps, long tapStride, long period, long tileLength, long tileStride,
                        long t0, long count, float *_Nonnull out);
void cek_avx2_block_sweep(const float *_Nullable const *_Nonnull sources, long kernelRows, long outputs,
                          const float *_Nonnull weights, long rowStride, long taps, long tapStride, long tileStride,
                          long period, long t0, long count, float *_Nonnull out, long outStride,
                          long stream);
void cek_avx2_broadcast_sweep(const float *_Nonnull const *_Nonnull sources, const float *_Nonnull const *_Nonnull weights,
                              long rows, long taps, long tapStride, long channels, long multiplier,
                              long pixelStride, long x0, long x1, float *_Nonnull out);
void cek_avx2_pointwise(const float *_Nonnull depth, long pixels, long depthCount, const float *_Nonnull matrix,
                        long outputs, float *_Nonnull out);
void cek_avx512_sweep_row(const float *_Nonnull const *_Nonnull sources, const float *_Nonnull const *_Nonnull weights,
                        long rows, long taps, long tapStride, long period, long tileLength, long tileStride,
                        long t0, long count, float *_Nonnull out);
void cek_avx512_block_sweep(const float *_Nullable const *_Nonnull sources, long kernelRows, long outputs,
                          const float *_Nonnull weights, long rowStride, long taps, long tapStride, long tileStride,
                          long period, long t0, long count, float *_Nonnull out, long outStride,
                          long stream);
void cek_avx512_broadcast_sweep(const float *_Nonnull const *_Nonnull sources, const float *_Nonnull const *_Nonnull weights,
                              long rows, long taps, long tapStride, long channels, long multiplier,
                              long pixelStride, long x0, long x1, float *_Nonnull out);
void cek_avx512_pointwise(const float *_Nonnull depth, long pixels, long depthCount, const float *_Nonnull matrix,
                        long outputs, float *_Nonnull out);

#endif

#pragma clang assume_nonnull end

#endif
