/*
 * words.h - how this application spells the fixes the library names.
 *
 * The library (backend/src/db) names a fix by what to run, in words of its
 * own: {db} is the migration tool, {reset} the target that resets the
 * database, {deploy} the deploy target and {deploy-script} its script.
 * The front ends spell them: 'app db', make db-reset, make deploy,
 * scripts/deploy.sh.
 */
#ifndef APP_WORDS_H
#define APP_WORDS_H

#include <stddef.h>
#include <stdio.h>

/* in, with the library's words spelled out, into out (n bytes; cut to fit,
 * always NUL-terminated when n > 0). */
void app_spell(char *out, size_t n, const char *in);

/* fputs of text with the library's words spelled, any length. */
void app_fputs_spelled(const char *text, FILE *f);

#endif /* APP_WORDS_H */
