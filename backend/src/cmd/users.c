/*
 * users.c - `app users set-password EMAIL`: an operator sets a user's
 * password (users made before accounts existed have none and cannot log
 * in until then). The password is read from the terminal without echo,
 * asked twice, or as one line from stdin when stdin is not a terminal;
 * never from the command line, where ps and shell history would show it.
 * The user's sessions are revoked and their failed log-ins forgotten.
 *
 * Hashing needs libsodium, which lives in the http module with the rest of
 * the accounts code; it is loaded here as `serve` loads it.
 */
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "../db/module.h"
#include "../http/auth.h"
#include "cmd.h"

#define PASSWORD_LINE_MAX 4096

/* Reads one line into buf without its end of line. Returns 0, or -1 at
 * end of input or for a line that does not fit. */
static int read_line(char *buf, size_t n, FILE *in)
{
    if (!fgets(buf, (int)n, in))
        return -1;
    size_t len = strlen(buf);
    if (len && buf[len - 1] == '\n')
        buf[--len] = '\0';
    else if (!feof(in))
        return -1; /* longer than the buffer */
    if (len && buf[len - 1] == '\r')
        buf[--len] = '\0';
    return 0;
}

/* On a terminal: prompt on ctx->err and read with echo off. */
static int read_hidden(struct cmd_ctx *ctx, const char *prompt, char *buf,
                       size_t n)
{
    int fd = fileno(ctx->in);
    struct termios old, quiet;
    int have_tty = tcgetattr(fd, &old) == 0;
    fprintf(ctx->err, "%s", prompt);
    fflush(ctx->err);
    if (have_tty) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        quiet.c_lflag |= ECHONL;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    int rc = read_line(buf, n, ctx->in);
    if (have_tty)
        tcsetattr(fd, TCSAFLUSH, &old);
    return rc;
}

static int exec_set_password(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    const char *email = args->argv[0];
    void *set_fn, *equal_fn;
    struct db_error err;
    if (db_module_symbol(&set_fn, "http", "http_auth_set_password", &err) ||
        db_module_symbol(&equal_fn, "http", "http_auth_equal", &err))
        return cmd_fail(ctx, &err);

    char password[PASSWORD_LINE_MAX], again[PASSWORD_LINE_MAX];
    int status = CMD_FAILURE;
    again[0] = '\0';
    if (ctx->interactive) {
        char prompt[400];
        snprintf(prompt, sizeof prompt, "New password for %s: ", email);
        if (read_hidden(ctx, prompt, password, sizeof password) ||
            read_hidden(ctx, "Repeat it: ", again, sizeof again)) {
            cmd_error(ctx, "no password read; nothing was "
                                           "changed");
            goto out;
        }
        if (!((http_auth_equal_fn)equal_fn)(password, again)) {
            cmd_error(ctx, "the two passwords differ; "
                                           "nothing was changed");
            goto out;
        }
    } else if (read_line(password, sizeof password, ctx->in)) {
        cmd_error(ctx, "no password on stdin (expected one line of at most %d "
                  "bytes); nothing was changed", PASSWORD_LINE_MAX - 2);
        goto out;
    }
    long revoked = 0;
    if (((http_auth_set_password_fn)set_fn)(&revoked, ctx->conn, &ctx->settings,
                                            email, password, &err)) {
        status = cmd_fail(ctx, &err);
        goto out;
    }
    fprintf(ctx->out, "password set for %s; %ld session%s revoked\n", email,
            revoked, revoked == 1 ? "" : "s");
    status = CMD_OK;
out:
    explicit_bzero(password, sizeof password);
    explicit_bzero(again, sizeof again);
    return status;
}

const struct cmd_entry cmd_users_set_password_entry = {
    .name = "set-password",
    .usage = "EMAIL",
    .summary = "set a user's password (read from the terminal or stdin), "
               "revoking their sessions",
    .help = "  The password is read from the terminal without echo (asked "
            "twice), or as one\n"
            "  line from stdin when stdin is not a terminal:\n"
            "      printf '%s\\n' \"$PASSWORD\" | app users set-password "
            "ann@example.org\n"
            "  It is never taken from the command line. Its length must be "
            "within [auth]\n"
            "  password_min_length and password_max_length.\n",
    .flags = CMD_NEEDS_DB | CMD_NO_ECHO,
    .options = cmd_no_options,
    .min_args = 1,
    .max_args = 1,
    .exec = exec_set_password,
};
