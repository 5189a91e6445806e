/*
 * replay.c - runs a fuzz target once on every file of its corpus.
 *
 *   replay NAME DIR_OR_FILE...
 *
 * Linked with one target and the objects built under AddressSanitizer and
 * UBSan, it is how make check keeps every corpus input, and so every
 * fixed crash, passing: a report aborts the run (non-zero exit), leaks are
 * reported at exit. Files are fed in name order; names starting with '.'
 * are skipped. Prints "NAME: N inputs" when all passed.
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "fuzz.h"

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot read %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0, n;
    uint8_t *buf = malloc(cap);
    FUZZ_ASSERT(buf != NULL);
    while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            FUZZ_ASSERT(buf != NULL);
        }
    }
    fclose(f);
    /* a copy of exactly len bytes, so reading past the input is caught */
    uint8_t *input = malloc(len ? len : 1);
    FUZZ_ASSERT(input != NULL);
    memcpy(input, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(input, len);
    free(input);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: replay NAME DIR_OR_FILE...\n");
        return 2;
    }
    long count = 0;
    for (int i = 2; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (replay_file(argv[i]))
                return 1;
            count++;
            continue;
        }
        struct dirent **list;
        int n = scandir(argv[i], &list, NULL, by_name);
        if (n < 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        int rc = 0;
        for (int k = 0; k < n; k++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], list[k]->d_name);
            if (list[k]->d_name[0] != '.' && stat(path, &st) == 0 &&
                S_ISREG(st.st_mode) && rc == 0) {
                if ((rc = replay_file(path)) == 0)
                    count++;
            }
            free(list[k]);
        }
        free(list);
        if (rc)
            return 1;
    }
    if (count == 0) {
        fprintf(stderr, "replay: %s: no inputs\n", argv[1]);
        return 1;
    }
    printf("%s: %ld inputs\n", argv[1], count);
    return 0;
}
