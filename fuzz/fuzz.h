/* Common declaration of the fuzz entry point. Each fuzz/<name>.c defines it;
 * built with clang -fsanitize=fuzzer it is a libFuzzer target, built with
 * fuzz/driver.c it replays a corpus (how `make test` runs it with gcc). */
#ifndef PICOACME_FUZZ_H
#define PICOACME_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
