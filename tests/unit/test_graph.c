/*
 * test_graph.c - the revision graph: order, heads, targets, bad graphs.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/graph.h"
#include "testutil.h"

static const char *dir;

/* Writes <dir>/<id>_r.sql with the parents (comma-separated, NULL: none). */
static void rev(const char *id, const char *parents)
{
    char path[1024], text[1024];
    snprintf(path, sizeof path, "%s/%s_r.sql", dir, id);
    snprintf(text, sizeof text,
             "-- revision: %s\n%s%s%s-- message: m%s\n\n-- +upgrade\n"
             "SELECT 1;\n\n-- +downgrade\nSELECT 2;\n",
             id, parents ? "-- down_revision: " : "", parents ? parents : "",
             parents ? "\n" : "", id);
    tu_write_file(path, text);
}

static struct db_graph *load(void)
{
    struct db_graph *g;
    struct db_error err;
    int rc = db_graph_load(&g, dir, &err);
    ck_assert_msg(rc == 0, "load: %s", err.message);
    return g;
}

static size_t idx(const struct db_graph *g, const char *id)
{
    size_t i;
    struct db_error err;
    ck_assert_int_eq(db_graph_find(&i, g, id, &err), 0);
    return i;
}

/* The ids marked in set, in graph order, space-separated. */
static const char *ids(const struct db_graph *g, const unsigned char *set)
{
    static char out[512];
    out[0] = '\0';
    for (size_t i = 0; i < g->n; i++)
        if (set[i])
            snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s",
                     out[0] ? " " : "", g->revs[i].id);
    return out;
}

static void setup(void)
{
    dir = tu_tmpdir();
}

START_TEST(test_graph__linear_order_and_targets)
{
    rev("0003", "0002");
    rev("0001", NULL);
    rev("0002", "0001");
    struct db_graph *g = load();
    ck_assert_int_eq(g->n, 3);
    ck_assert_str_eq(g->revs[0].id, "0001");
    ck_assert_str_eq(g->revs[2].id, "0003");
    size_t heads[3];
    ck_assert_int_eq(db_graph_heads(heads, g), 1);
    ck_assert_str_eq(g->revs[heads[0]].id, "0003");

    unsigned char applied[3] = {0}, want[3];
    struct db_error err;
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "head", &err), 0);
    ck_assert_str_eq(ids(g, want), "0001 0002 0003");
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "+2", &err), 0);
    ck_assert_str_eq(ids(g, want), "0001 0002");
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "0001+1", &err), 0);
    ck_assert_str_eq(ids(g, want), "0001 0002");
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "+4", &err),
                     DB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "'+4' goes past the head: "
                                              "revision 0003 has no child"));
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "0002+2", &err),
                     DB_EUSAGE);

    applied[0] = applied[1] = 1;
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "+1", &err), 0);
    ck_assert_str_eq(ids(g, want), "0001 0002 0003");

    unsigned char undo[3];
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, applied, "-1", &err), 0);
    ck_assert_str_eq(ids(g, undo), "0002");
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, applied, "base", &err), 0);
    ck_assert_str_eq(ids(g, undo), "0001 0002");
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, applied, "0001", &err), 0);
    ck_assert_str_eq(ids(g, undo), "0002");
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, applied, "0002-1", &err), 0);
    ck_assert_str_eq(ids(g, undo), "0002");
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, applied, "-3", &err),
                     DB_EUSAGE);
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, applied, "0003", &err),
                     DB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "is not applied"));

    char next[16];
    db_graph_next_id(next, sizeof next, g);
    ck_assert_str_eq(next, "0004");
    db_graph_free(g);
}
END_TEST

START_TEST(test_graph__branches_and_merge)
{
    rev("0001", NULL);
    rev("0002", "0001");
    rev("0003", "0001");
    struct db_graph *g = load();
    size_t heads[4];
    ck_assert_int_eq(db_graph_heads(heads, g), 2);
    unsigned char applied[4] = {0}, want[4];
    struct db_error err;
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "head", &err),
                     DB_EGRAPH);
    ck_assert_ptr_nonnull(strstr(err.message, "2 heads: 0002 0003"));
    ck_assert_ptr_nonnull(strstr(tu_spell(err.hint), "app db merge"));
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "heads", &err), 0);
    ck_assert_str_eq(ids(g, want), "0001 0002 0003");
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "0001+1", &err),
                     DB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "branch point"));
    db_graph_free(g);

    rev("0004", "0002, 0003");
    g = load();
    ck_assert_int_eq(db_graph_heads(heads, g), 1);
    ck_assert_str_eq(g->revs[heads[0]].id, "0004");
    ck_assert_int_eq(g->revs[idx(g, "0004")].ndown, 2);
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "head", &err), 0);
    ck_assert_str_eq(ids(g, want), "0001 0002 0003 0004");

    /* current heads of a partly applied branchy graph */
    unsigned char part[4] = {0};
    size_t cur[4];
    part[idx(g, "0001")] = part[idx(g, "0002")] = part[idx(g, "0003")] = 1;
    ck_assert_int_eq(db_graph_current(cur, g, part), 2);
    size_t two[2] = {idx(g, "0002"), idx(g, "0003")};
    unsigned char again[4];
    db_graph_applied(again, g, two, 2);
    ck_assert_str_eq(ids(g, again), "0001 0002 0003");

    /* downgrade to a parent of the merge undoes the merge only */
    memset(applied, 1, 4);
    unsigned char undo[4];
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, applied, "0002", &err), 0);
    ck_assert_str_eq(ids(g, undo), "0004");
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, applied, "-2", &err),
                     DB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "0004 is a merge of 0002, 0003"));
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, applied, "0004-1", &err),
                     DB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "a merge"));
    db_graph_free(g);
}
END_TEST

START_TEST(test_graph__prefixes)
{
    rev("0010", NULL);
    rev("0011", "0010");
    rev("0200", "0011");
    struct db_graph *g = load();
    size_t i;
    struct db_error err;
    ck_assert_int_eq(db_graph_find(&i, g, "02", &err), 0);
    ck_assert_str_eq(g->revs[i].id, "0200");
    ck_assert_int_eq(db_graph_find(&i, g, "001", &err), DB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "ambiguous: 0010, 0011"));
    ck_assert_int_eq(db_graph_find(&i, g, "9", &err), DB_ENOTFOUND);
    db_graph_free(g);
}
END_TEST

/*
 * 0120 - 0121 - 0122 - 0124 - 0125 - 0126 - 0127    (branch A)
 *                   \- 0123                          (branch B)
 */
static struct db_graph *two_branches(void)
{
    rev("0120", NULL);
    rev("0121", "0120");
    rev("0122", "0121");
    rev("0123", "0122");
    rev("0124", "0122");
    rev("0125", "0124");
    rev("0126", "0125");
    rev("0127", "0126");
    return load();
}

/* applied = id and its ancestors (id NULL: nothing). */
static void at(unsigned char *applied, const struct db_graph *g,
               const char *id)
{
    memset(applied, 0, g->n);
    if (id)
        db_graph_ancestors(applied, g, idx(g, id));
}

START_TEST(test_graph__plus_n_follows_the_current_branch)
{
    struct db_graph *g = two_branches();
    unsigned char applied[16], want[16];
    struct db_error err;
    /* database at 0126 on branch A, heads 0127 (A) and 0123 (B) pending */
    at(applied, g, "0126");
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "+1", &err), 0);
    ck_assert_str_eq(ids(g, want), "0120 0121 0122 0124 0125 0126 0127");
    /* past the head: names the head and the command */
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "+2", &err),
                     DB_EUSAGE);
    ck_assert_str_eq(err.message,
                     "'+2' goes past the head: revision 0127 has no child");
    ck_assert_ptr_nonnull(strstr(tu_spell(err.hint), "'app db upgrade 0127'"));
    ck_assert_ptr_nonnull(strstr(tu_spell(err.hint), "'app db history'"));
    /* a branch point on the way */
    at(applied, g, "0121");
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "+1", &err), 0);
    ck_assert_str_eq(ids(g, want), "0120 0121 0122");
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "+2", &err),
                     DB_EUSAGE);
    ck_assert_str_eq(err.message, "'+2' is ambiguous: revision 0122 is a "
                                  "branch point with 2 children (0123, 0124)");
    ck_assert_ptr_nonnull(strstr(tu_spell(err.hint), "'app db upgrade 0123'"));
    /* from base: from the first revision */
    at(applied, g, NULL);
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "+3", &err), 0);
    ck_assert_str_eq(ids(g, want), "0120 0121 0122");
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "+4", &err),
                     DB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "0122 is a branch point"));
    /* several current revisions */
    unsigned char both[16];
    at(both, g, "0123");
    at(applied, g, "0125");
    for (size_t i = 0; i < g->n; i++)
        applied[i] |= both[i];
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "+1", &err),
                     DB_EUSAGE);
    ck_assert_str_eq(err.message, "'+1' is ambiguous: the database has 2 "
                                  "current revisions (0123, 0125)");
    ck_assert_ptr_nonnull(strstr(tu_spell(err.hint), "'app db upgrade 0123+1'"));
    /* REV+N walks from REV, whatever is applied; REV+0 is REV */
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "0124+2", &err), 0);
    ck_assert_str_eq(ids(g, want), "0120 0121 0122 0124 0125 0126");
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "012+1", &err),
                     DB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "prefix '012' is ambiguous"));
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "0122+1", &err),
                     DB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "0122 is a branch point"));
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "0123+0", &err), 0);
    ck_assert_str_eq(ids(g, want), "0120 0121 0122 0123");
    /* REV-N goes down from REV; down to base there is nothing to upgrade to */
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "0127-2", &err), 0);
    ck_assert_str_eq(ids(g, want), "0120 0121 0122 0124 0125");
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "0121-2", &err),
                     DB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "'0121-2' is base"));
    /* head, heads and base as REV */
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "base+2", &err), 0);
    ck_assert_str_eq(ids(g, want), "0120 0121");
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "head-1", &err),
                     DB_EGRAPH);
    ck_assert_ptr_nonnull(strstr(err.message, "2 heads: 0123 0127"));
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "base-1", &err),
                     DB_EUSAGE);
    ck_assert_str_eq(err.message, "'base-1' goes past base: it starts at base");
    /* the wrong direction, and numbers that go nowhere */
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "-1", &err),
                     DB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(tu_spell(err.hint), "'app db downgrade -1'"));
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "+0", &err),
                     DB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "bad relative target '+0'"));
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "+1x", &err),
                     DB_EUSAGE);
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied,
                                             "0124+99999999999999999999999",
                                             &err),
                     DB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "goes past the head"));
    db_graph_free(g);
}
END_TEST

START_TEST(test_graph__plus_n_into_a_merge_and_from_several_roots)
{
    rev("0001", NULL);
    rev("0002", "0001");
    rev("0003", "0001");
    rev("0004", "0002, 0003");
    rev("0100", NULL);
    struct db_graph *g = load();
    unsigned char applied[8], want[8];
    struct db_error err;
    /* stepping into a merge brings its other parents, as in Alembic */
    at(applied, g, "0002");
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "+1", &err), 0);
    ck_assert_str_eq(ids(g, want), "0001 0002 0003 0004");
    /* from base with two first revisions */
    at(applied, g, NULL);
    ck_assert_int_eq(db_graph_upgrade_target(want, g, applied, "+1", &err),
                     DB_EUSAGE);
    ck_assert_str_eq(err.message, "'+1' is ambiguous: base has 2 first "
                                  "revisions (0001, 0100)");
    db_graph_free(g);
}
END_TEST

START_TEST(test_graph__minus_n_follows_the_parents)
{
    struct db_graph *g = two_branches();
    unsigned char applied[16], undo[16];
    struct db_error err;
    at(applied, g, "0126");
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, applied, "-1", &err), 0);
    ck_assert_str_eq(ids(g, undo), "0126");
    /* a branch point on the way down is no question */
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, applied, "-3", &err), 0);
    ck_assert_str_eq(ids(g, undo), "0124 0125 0126");
    /* exactly to base undoes everything; one more step is refused */
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, applied, "-6", &err), 0);
    ck_assert_str_eq(ids(g, undo), "0120 0121 0122 0124 0125 0126");
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, applied, "-7", &err),
                     DB_EUSAGE);
    ck_assert_str_eq(err.message,
                     "'-7' goes past base: base is 6 steps below 0126");
    ck_assert_ptr_nonnull(strstr(tu_spell(err.hint), "'app db downgrade base'"));
    ck_assert_ptr_nonnull(strstr(tu_spell(err.hint), "'app db history'"));
    at(applied, g, NULL);
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, applied, "-1", &err),
                     DB_EUSAGE);
    ck_assert_str_eq(err.message,
                     "'-1' goes past base: the database is at base");
    /* several current revisions */
    unsigned char b[16];
    at(b, g, "0123");
    at(applied, g, "0127");
    for (size_t i = 0; i < g->n; i++)
        applied[i] |= b[i];
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, applied, "-1", &err),
                     DB_EUSAGE);
    ck_assert_str_eq(err.message, "'-1' is ambiguous: the database has 2 "
                                  "current revisions (0123, 0127)");
    ck_assert_ptr_nonnull(strstr(tu_spell(err.hint), "'app db downgrade 0123-1'"));
    /* REV-N: undo what follows REV-N, on every branch */
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, applied, "0127-1", &err), 0);
    ck_assert_str_eq(ids(g, undo), "0127");
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, applied, "0124-1", &err), 0);
    ck_assert_str_eq(ids(g, undo), "0123 0124 0125 0126 0127");
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, applied, "0121-2", &err), 0);
    ck_assert_str_eq(ids(g, undo), ids(g, applied));
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, applied, "0121-3", &err),
                     DB_EUSAGE);
    ck_assert_str_eq(err.message,
                     "'0121-3' goes past base: base is 2 steps below 0121");
    /* REV+N: to a revision above REV, which must be applied */
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, applied, "0124+1", &err), 0);
    ck_assert_str_eq(ids(g, undo), "0126 0127");
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, applied, "0121+1", &err), 0);
    ck_assert_str_eq(ids(g, undo), "0123 0124 0125 0126 0127");
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, applied, "0121+2", &err),
                     DB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "0122 is a branch point"));
    ck_assert_ptr_nonnull(strstr(tu_spell(err.hint), "'app db downgrade 0123'"));
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, applied, "+1", &err),
                     DB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(tu_spell(err.hint), "'app db upgrade +1'"));
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, applied, "-0", &err),
                     DB_EUSAGE);
    db_graph_free(g);

    /* a merge: -1 at the merge itself, or a merge on the way */
    rev("0128", "0123, 0127");
    rev("0129", "0128");
    g = load();
    unsigned char all[16];
    at(all, g, "0129");
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, all, "-1", &err), 0);
    ck_assert_str_eq(ids(g, undo), "0129");
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, all, "heads-1", &err), 0);
    ck_assert_str_eq(ids(g, undo), "0129");
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, all, "head-2", &err),
                     DB_EUSAGE);
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, all, "-2", &err),
                     DB_EUSAGE);
    ck_assert_str_eq(err.message, "'-2' is ambiguous: revision 0128 is a "
                                  "merge of 0123, 0127");
    ck_assert_ptr_nonnull(strstr(tu_spell(err.hint), "'app db downgrade 0123'"));
    at(all, g, "0128");
    ck_assert_int_eq(db_graph_downgrade_target(undo, g, all, "-1", &err),
                     DB_EUSAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "0128 is a merge"));
    db_graph_free(g);
}
END_TEST

static int load_err(struct db_error *err)
{
    struct db_graph *g = NULL;
    int rc = db_graph_load(&g, dir, err);
    ck_assert_ptr_null(g);
    return rc;
}

START_TEST(test_graph__cycle)
{
    rev("0001", "0002");
    rev("0002", "0001");
    struct db_error err;
    ck_assert_int_eq(load_err(&err), DB_EGRAPH);
    ck_assert_ptr_nonnull(strstr(err.message, "cycle through '0001'"));
    ck_assert_ptr_nonnull(strstr(err.file, "0001_r.sql"));
    ck_assert_int_eq(err.line, 2);
}
END_TEST

START_TEST(test_graph__duplicate_id)
{
    rev("0001", NULL);
    char path[1024];
    snprintf(path, sizeof path, "%s/0001_again.sql", dir);
    tu_write_file(path, "-- revision: 0001\n-- +upgrade\nSELECT 1;\n");
    struct db_error err;
    ck_assert_int_eq(load_err(&err), DB_EGRAPH);
    ck_assert_ptr_nonnull(strstr(err.message, "duplicate revision id '0001'"));
    ck_assert_int_eq(err.line, 1);
}
END_TEST

START_TEST(test_graph__missing_parent)
{
    rev("0001", NULL);
    rev("0002", "0009");
    struct db_error err;
    ck_assert_int_eq(load_err(&err), DB_EGRAPH);
    ck_assert_ptr_nonnull(strstr(err.message, "down_revision '0009' of '0002'"));
    ck_assert_ptr_nonnull(strstr(err.file, "0002_r.sql"));
    ck_assert_int_eq(err.line, 2);
}
END_TEST

START_TEST(test_graph__bad_header)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/0001_x.sql", dir);
    tu_write_file(path, "-- message: no id\n-- +upgrade\nSELECT 1;\n");
    struct db_error err;
    ck_assert_int_eq(load_err(&err), DB_EPARSE);
    ck_assert_ptr_nonnull(strstr(err.message, "no '-- revision:' line"));
}
END_TEST

START_TEST(test_graph__empty_and_missing_dir)
{
    struct db_graph *g = load();
    ck_assert_int_eq(g->n, 0);
    char next[16];
    db_graph_next_id(next, sizeof next, g);
    ck_assert_str_eq(next, "0001");
    db_graph_free(g);
    struct db_error err;
    ck_assert_int_eq(db_graph_load(&g, "/nonexistent/versions", &err), 0);
    ck_assert_int_eq(g->n, 0);
    db_graph_free(g);
}
END_TEST

START_TEST(test_graph__thousand_revisions_load_fast)
{
    char prev[16] = "";
    for (int i = 1; i <= 1000; i++) {
        char id[16];
        snprintf(id, sizeof id, "%04d", i);
        rev(id, prev[0] ? prev : NULL);
        snprintf(prev, sizeof prev, "%s", id);
    }
    struct db_graph *g = load();
    ck_assert_int_eq(g->n, 1000);
    ck_assert_str_eq(g->revs[999].id, "1000");
    db_graph_free(g);
}
END_TEST

Suite *graph_suite(void)
{
    Suite *s = suite_create("graph");
    TCase *tc = tcase_create("graph");
    tcase_add_checked_fixture(tc, setup, tu_cleanup);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_graph__linear_order_and_targets);
    tcase_add_test(tc, test_graph__branches_and_merge);
    tcase_add_test(tc, test_graph__prefixes);
    tcase_add_test(tc, test_graph__plus_n_follows_the_current_branch);
    tcase_add_test(tc, test_graph__plus_n_into_a_merge_and_from_several_roots);
    tcase_add_test(tc, test_graph__minus_n_follows_the_parents);
    tcase_add_test(tc, test_graph__cycle);
    tcase_add_test(tc, test_graph__duplicate_id);
    tcase_add_test(tc, test_graph__missing_parent);
    tcase_add_test(tc, test_graph__bad_header);
    tcase_add_test(tc, test_graph__empty_and_missing_dir);
    tcase_add_test(tc, test_graph__thousand_revisions_load_fast);
    suite_add_tcase(s, tc);
    return s;
}
