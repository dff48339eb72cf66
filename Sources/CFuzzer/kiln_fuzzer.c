#include "kiln_fuzzer.h"

// libFuzzer's entry for programs that keep their own main(). Weak, so that a build without
// libFuzzer links and finds it null; tools/fuzz.sh passes --undefined=LLVMFuzzerRunDriver to
// pull it from the fuzzer runtime.
extern int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size))
    __attribute__((weak));

int kiln_fuzzer_run(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size)) {
    if (!LLVMFuzzerRunDriver) return -1;
    return LLVMFuzzerRunDriver(argc, argv, callback);
}
