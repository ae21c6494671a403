/* libFuzzer's driver, declared for Swift.
 *
 * SwiftPM links an executable target's entry point as `main`, so libFuzzer's
 * own `main` (FuzzerMain.o in libclang_rt.fuzzer) is never used: the Swift
 * `main.swift` picks a fuzz target and hands control to this function, which
 * is what libFuzzer's `main` itself calls. It is in libclang_rt.fuzzer, linked
 * by `-sanitize=fuzzer`. */
#ifndef CFUZZERDRIVER_H
#define CFUZZERDRIVER_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *_Nonnull argc, char *_Nullable *_Nullable *_Nonnull argv,
                        int (*_Nonnull callback)(const uint8_t *_Nullable data, size_t size));

#endif
