/*
 * test_cmd.c - the command table and the dispatcher: arguments parsed
 * once into struct cmd_args, flags enforced centrally.
 */
#include <check.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "testutil.h"

static const struct option fake_opts[] = {
    {"sql", no_argument, NULL, 's'},
    {"message", required_argument, NULL, 'm'},
    {"yes", no_argument, NULL, 'y'},
    {NULL, 0, NULL, 0},
};

/* What the fake command's exec saw. */
static struct cmd_args seen;
static const struct cmd_entry *seen_entry;
static int seen_yes;

static int fake_exec(struct cmd_ctx *ctx, const struct cmd_args *args)
{
    seen = *args;
    seen_entry = ctx->entry;
    seen_yes = ctx->yes;
    cmd_error(ctx, "named %s", "itself");
    return CMD_OK;
}

static const struct cmd_entry fake = {
    .name = "fake",
    .usage = "[--sql] [-m MSG] [--yes] ARG...",
    .summary = "a command for the tests",
    .flags = CMD_NO_CONFIG | CMD_DESTRUCTIVE,
    .options = fake_opts,
    .shortopts = "m:y",
    .min_args = 1,
    .max_args = 2,
    .exec = fake_exec,
};
static const struct cmd_entry *const fake_table[] = {&fake, NULL};

static int dispatch(FILE *err, int argc, char **argv)
{
    struct cmd_ctx ctx = {.prog = "app", .group = "db", .out = err,
                          .err = err, .in = stdin};
    return cmd_dispatch(&ctx, fake_table, argc, argv);
}

START_TEST(test_cmd__options_parsed_once_anywhere_on_the_line)
{
    FILE *err = tmpfile();
    char *argv[] = {"fake", "one", "--sql", "-m", "hello", "two", "--yes",
                    NULL};
    memset(&seen, 0, sizeof seen);
    ck_assert_int_eq(dispatch(err, 7, argv), CMD_OK);
    ck_assert_ptr_eq(seen_entry, &fake);
    ck_assert_int_eq(seen.nopts, 3);
    ck_assert(cmd_flag(&seen, 's'));
    ck_assert_str_eq(cmd_value(&seen, 'm'), "hello");
    ck_assert(!cmd_flag(&seen, 'a'));
    ck_assert_ptr_null(cmd_value(&seen, 'a'));
    ck_assert_int_eq(seen.argc, 2);
    ck_assert_str_eq(seen.argv[0], "one");
    ck_assert_str_eq(seen.argv[1], "two");
    ck_assert_int_eq(seen_yes, 1); /* CMD_DESTRUCTIVE: --yes reaches ctx */
    char line[256] = "";
    rewind(err);
    ck_assert_ptr_nonnull(fgets(line, sizeof line, err));
    ck_assert_str_eq(line, "app db fake: named itself\n");
    fclose(err);
}
END_TEST

START_TEST(test_cmd__usage_errors_before_exec)
{
    FILE *err = tmpfile();
    char *none[] = {"fake", "--sql", NULL};
    char *many[] = {"fake", "a", "b", "c", NULL};
    char *bad[] = {"fake", "a", "--nope", NULL};
    char *noval[] = {"fake", "a", "-m", NULL};
    char *dashdash[] = {"fake", "--", "--sql", NULL};
    seen_entry = NULL;
    ck_assert_int_eq(dispatch(err, 2, none), CMD_USAGE);
    ck_assert_int_eq(dispatch(err, 4, many), CMD_USAGE);
    ck_assert_int_eq(dispatch(err, 3, bad), CMD_USAGE);
    ck_assert_int_eq(dispatch(err, 3, noval), CMD_USAGE);
    ck_assert_ptr_null(seen_entry); /* exec never ran */
    ck_assert_int_eq(dispatch(err, 3, dashdash), CMD_OK);
    ck_assert_int_eq(seen.nopts, 0);
    ck_assert_str_eq(seen.argv[0], "--sql");
    ck_assert_int_eq(seen_yes, 0);
    char text[2048];
    rewind(err);
    size_t n = fread(text, 1, sizeof text - 1, err);
    text[n] = '\0';
    ck_assert_ptr_nonnull(strstr(text, "app db fake: missing argument; see "
                                       "'app db fake --help'\n"));
    ck_assert_ptr_nonnull(strstr(text, "unexpected argument 'c'"));
    ck_assert_ptr_nonnull(strstr(text, "unknown or incomplete option "
                                       "'--nope'"));
    ck_assert_ptr_nonnull(strstr(text, "option '-m' needs a value"));
    fclose(err);
}
END_TEST

START_TEST(test_cmd__tables_keep_their_flags_promises)
{
    ck_assert_ptr_null(cmd_table_check(cmd_db_table));
    ck_assert_ptr_null(cmd_table_check(cmd_top_table));
    ck_assert_ptr_null(cmd_table_check(cmd_users_table));
    /* a destructive command without --yes, an offline one without --sql */
    static const struct option only_sql[] = {
        {"sql", no_argument, NULL, 's'}, {NULL, 0, NULL, 0}};
    static const struct option only_yes[] = {
        {"yes", no_argument, NULL, 'y'}, {NULL, 0, NULL, 0}};
    static const struct cmd_entry no_yes = {
        .name = "a", .flags = CMD_DESTRUCTIVE, .options = only_sql};
    static const struct cmd_entry no_sql = {
        .name = "b", .flags = CMD_OFFLINE_SQL, .options = only_yes};
    const struct cmd_entry *const t1[] = {&fake, &no_yes, NULL};
    const struct cmd_entry *const t2[] = {&no_sql, NULL};
    ck_assert_ptr_eq(cmd_table_check(t1), &no_yes);
    ck_assert_ptr_eq(cmd_table_check(t2), &no_sql);
}
END_TEST

Suite *cmd_suite(void)
{
    Suite *s = suite_create("cmd");
    TCase *tc = tcase_create("cmd");
    tcase_add_test(tc, test_cmd__options_parsed_once_anywhere_on_the_line);
    tcase_add_test(tc, test_cmd__usage_errors_before_exec);
    tcase_add_test(tc, test_cmd__tables_keep_their_flags_promises);
    suite_add_tcase(s, tc);
    return s;
}
