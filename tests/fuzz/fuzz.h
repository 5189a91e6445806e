/*
 * fuzz.h - helpers shared by the libFuzzer targets (tests/fuzz/fuzz_*.c).
 *
 * Each target defines LLVMFuzzerTestOneInput. Built with clang and
 * -fsanitize=fuzzer it is a fuzzer (make fuzz); linked with replay.c and
 * the sanitized objects it replays a corpus (make check).
 *
 * A target that finds its input inconsistent with what the code promises
 * calls FUZZ_ASSERT, which aborts: libFuzzer and the replay both report it.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                   \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "%s:%d: fuzz assertion failed: %s\n", __FILE__, \
                    __LINE__, #cond);                                       \
            abort();                                                        \
        }                                                                   \
    } while (0)

/* A NUL-terminated copy of data (cut at its first NUL byte, as a C string
 * would be). Never NULL: aborts when out of memory. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    FUZZ_ASSERT(s != NULL);
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/*
 * Splits data at each byte sep into at most max parts (the last part keeps
 * any further separators). parts[i]/lens[i] point into data. Returns the
 * number of parts, at least 1 (an empty input is one empty part).
 */
static inline size_t fuzz_split(const uint8_t **parts, size_t *lens,
                                size_t max, const uint8_t *data, size_t size,
                                uint8_t sep)
{
    size_t n = 0;
    const uint8_t *p = data, *end = data + size;
    while (n + 1 < max) {
        const uint8_t *s = memchr(p, sep, (size_t)(end - p));
        if (!s)
            break;
        parts[n] = p;
        lens[n] = (size_t)(s - p);
        n++;
        p = s + 1;
    }
    parts[n] = p;
    lens[n] = (size_t)(end - p);
    return n + 1;
}

#endif /* FUZZ_H */
