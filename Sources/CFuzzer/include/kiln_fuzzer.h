#ifndef KILN_FUZZER_H
#define KILN_FUZZER_H

#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer's driver with `callback` as the target, when the executable was linked with
/// libFuzzer (tools/fuzz.sh builds it with -sanitize=fuzzer). Returns -1 when it was not, so a
/// plain build of kiln-fuzz can still replay inputs.
int kiln_fuzzer_run(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
