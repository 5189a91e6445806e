/*
 * words.c - the library's words for a fix, spelled as this application's
 * front ends (the CLI, the server's log) spell them.
 */
#include "words.h"

#include <stdio.h>
#include <string.h>

static const char *const words[][2] = {
    {"{db}", "app db"},
    {"{reset}", "make db-reset"},
    {"{deploy}", "make deploy"},
    {"{deploy-script}", "scripts/deploy.sh"},
};

/* The spelling of the library's word at in, and its length; NULL if none. */
static const char *word_at(const char *in, size_t *len)
{
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
        if (strncmp(in, words[k][0], strlen(words[k][0])) == 0) {
            *len = strlen(words[k][0]);
            return words[k][1];
        }
    return NULL;
}

void app_spell(char *out, size_t n, const char *in)
{
    size_t len = 0, wlen;
    if (n == 0)
        return;
    while (*in && len + 1 < n) {
        const char *w = *in == '{' ? word_at(in, &wlen) : NULL;
        if (w) {
            len += (size_t)snprintf(out + len, n - len, "%s", w);
            in += wlen;
            if (len >= n)
                len = n - 1;
        } else {
            out[len++] = *in++;
        }
    }
    out[len] = '\0';
}

void app_fputs_spelled(const char *text, FILE *f)
{
    size_t wlen;
    while (*text) {
        size_t plain = strcspn(text, "{");
        fwrite(text, 1, plain, f);
        text += plain;
        if (!*text)
            break;
        const char *w = word_at(text, &wlen);
        if (w) {
            fputs(w, f);
            text += wlen;
        } else {
            fputc(*text++, f);
        }
    }
}
