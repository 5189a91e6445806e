/*
 * test_revision.c - the statement splitter and the revision file parser.
 *
 * Parser cases are fixture files: tests/fixtures/revisions/<name>.sql is
 * parsed and dumped (blocks, statements with their lines, or the error)
 * and compared with <name>.expected. Set FIXTURE_WRITE=1 to (re)write the
 * expected files from the current output.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/buf.h"
#include "db/revcache.h"
#include "db/revision.h"
#include "testutil.h"

#define FIXTURES "tests/fixtures/revisions"

struct collected {
    int n;
    char stmt[16][256];
    int line[16];
};

static int collect(void *ctx, const char *stmt, size_t len, int line)
{
    struct collected *c = ctx;
    ck_assert_int_lt(c->n, 16);
    snprintf(c->stmt[c->n], sizeof c->stmt[c->n], "%.*s", (int)len, stmt);
    c->line[c->n++] = line;
    return 0;
}

static struct collected split(const char *sql)
{
    struct collected c = {0};
    struct db_error err;
    int rc = db_sql_split(sql, DB_DIALECT_POSTGRESQL, 1, collect, &c, &err);
    ck_assert_msg(rc == 0, "split: %s", err.message);
    return c;
}

START_TEST(test_revision__split_plain)
{
    struct collected c = split("CREATE TABLE a (x INT);\n\nDROP TABLE b;  \n"
                               "SELECT 1");
    ck_assert_int_eq(c.n, 3);
    ck_assert_str_eq(c.stmt[0], "CREATE TABLE a (x INT)");
    ck_assert_str_eq(c.stmt[1], "DROP TABLE b");
    ck_assert_str_eq(c.stmt[2], "SELECT 1");
    ck_assert_int_eq(c.line[0], 1);
    ck_assert_int_eq(c.line[1], 3);
    ck_assert_int_eq(c.line[2], 4);
}
END_TEST

START_TEST(test_revision__split_quotes_and_comments)
{
    struct collected c = split(
        "INSERT INTO \"a;b\" VALUES ('x;''y');\n"
        "-- comment; here\n"
        "/* outer; /* inner; */ still; */ SELECT E'q\\';r';\n"
        ";;  -- only a comment;\n");
    ck_assert_int_eq(c.n, 2);
    ck_assert_str_eq(c.stmt[0], "INSERT INTO \"a;b\" VALUES ('x;''y')");
    ck_assert_str_eq(c.stmt[1], "SELECT E'q\\';r'");
    ck_assert_int_eq(c.line[1], 3);
}
END_TEST

START_TEST(test_revision__split_dollar_quotes)
{
    struct collected c = split(
        "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n"
        "CREATE FUNCTION g() AS $fn$ a; $$ b; $fn$;\nSELECT $1;");
    ck_assert_int_eq(c.n, 3);
    ck_assert_str_eq(c.stmt[1], "CREATE FUNCTION g() AS $fn$ a; $$ b; $fn$");
    ck_assert_str_eq(c.stmt[2], "SELECT $1");
}
END_TEST

START_TEST(test_revision__split_trigger_body)
{
    struct collected c = split(
        "CREATE TRIGGER t AFTER INSERT ON x BEGIN\n"
        "  UPDATE x SET a = CASE WHEN 1 THEN 2 END;\n"
        "  DELETE FROM y;\nEND;\nCREATE TABLE z (end_ INT);");
    ck_assert_int_eq(c.n, 2);
    ck_assert_int_eq(c.line[1], 5);
    ck_assert_ptr_nonnull(strstr(c.stmt[0], "DELETE FROM y;\nEND"));
}
END_TEST

START_TEST(test_revision__split_unterminated)
{
    struct collected c = {0};
    struct db_error err;
    ck_assert_int_eq(db_sql_split("SELECT 1;\n\nSELECT 'x", DB_DIALECT_POSTGRESQL,
                                  1, collect, &c, &err), DB_EPARSE);
    ck_assert_int_eq(err.line, 3);
    ck_assert_ptr_nonnull(strstr(err.message, "unterminated string"));
    ck_assert_int_eq(db_sql_split("/* a /* b */", DB_DIALECT_POSTGRESQL, 1, collect,
                                  &c, &err),
                     DB_EPARSE);
    ck_assert_int_eq(db_sql_split("SELECT $x$ a", DB_DIALECT_POSTGRESQL, 1, collect,
                                  &c, &err),
                     DB_EPARSE);
}
END_TEST

static struct collected split_as(const char *sql, enum db_dialect d)
{
    struct collected c = {0};
    struct db_error err;
    int rc = db_sql_split(sql, d, 1, collect, &c, &err);
    ck_assert_msg(rc == 0, "split: %s", err.message);
    return c;
}

START_TEST(test_revision__split_sqlite_comments_do_not_nest)
{
    /* as the sqlite3 shell: the comment ends at the first close */
    struct collected c = split_as("/* a /* b */ SELECT 1; SELECT [x;y];\n"
                                  "SELECT `p;q`; SELECT E'\\'",
                                  DB_DIALECT_SQLITE);
    ck_assert_int_eq(c.n, 4);
    ck_assert_str_eq(c.stmt[0], "SELECT 1");
    ck_assert_str_eq(c.stmt[1], "SELECT [x;y]");
    ck_assert_str_eq(c.stmt[2], "SELECT `p;q`");
    ck_assert_str_eq(c.stmt[3], "SELECT E'\\'");
    /* PostgreSQL nests them */
    struct collected none = {0};
    struct db_error err;
    ck_assert_int_eq(db_sql_split("/* a /* b */ SELECT 1;",
                                  DB_DIALECT_POSTGRESQL, 1, collect, &none,
                                  &err), DB_EPARSE);
    ck_assert_ptr_nonnull(strstr(err.message, "unterminated block comment"));
}
END_TEST

START_TEST(test_revision__split_pg_parentheses)
{
    const char *sql = "CREATE RULE r AS ON INSERT TO t DO ALSO (\n"
                      "  INSERT INTO a VALUES (1, ')');\n"
                      "  INSERT INTO b VALUES (2, $$;($$)\n);\nSELECT (1));"
                      "SELECT 2";
    struct collected c = split_as(sql, DB_DIALECT_POSTGRESQL);
    ck_assert_int_eq(c.n, 3);
    ck_assert_ptr_nonnull(strstr(c.stmt[0], "$$;($$)\n)"));
    ck_assert_str_eq(c.stmt[1], "SELECT (1))");
    ck_assert_int_eq(c.line[2], 5);
    /* SQLite has no such rule (nor dollar quotes) */
    c = split_as(sql, DB_DIALECT_SQLITE);
    ck_assert_int_gt(c.n, 3);
}
END_TEST

START_TEST(test_revision__psql_meta_commands)
{
    struct collected c = split_as("\\restrict K1\nSET lock_timeout = 0;\n"
                                  "  \\unrestrict K1\n",
                                  DB_DIALECT_POSTGRESQL);
    ck_assert_int_eq(c.n, 1);
    ck_assert_str_eq(c.stmt[0], "SET lock_timeout = 0");
    struct db_error err;
    ck_assert_int_eq(db_sql_split("SELECT 1;\n\\connect other\n",
                                  DB_DIALECT_POSTGRESQL, 1, collect, &c,
                                  &err), DB_EPARSE);
    ck_assert_int_eq(err.line, 2);
    ck_assert_ptr_nonnull(strstr(err.message, "psql meta-command "
                                              "'\\connect'"));
}
END_TEST

/* A block for every database is refused when read only if both databases
 * refuse it; db_revision_check refuses it for the one that does. */
START_TEST(test_revision__check_by_dialect)
{
    const char *text = "-- revision: 0001\n-- +upgrade\n"
                       "/* a /* b */ SELECT 1;\n";
    struct db_revision r;
    struct db_error err;
    ck_assert_int_eq(db_revision_parse(&r, "v/0001_x.sql", text,
                                       strlen(text), &err), 0);
    ck_assert_int_eq(db_revision_check(&r, DB_UPGRADE, DB_DIALECT_SQLITE,
                                       &err), 0);
    ck_assert_int_eq(db_revision_check(&r, DB_UPGRADE, DB_DIALECT_POSTGRESQL,
                                       &err), DB_EPARSE);
    ck_assert_str_eq(err.file, "v/0001_x.sql");
    ck_assert_int_eq(err.line, 3);
    db_revision_clear(&r);
    const char *both = "-- revision: 0001\n-- +upgrade\nSELECT 'x;\n";
    ck_assert_int_eq(db_revision_parse(&r, "v/0001_x.sql", both,
                                       strlen(both), &err), DB_EPARSE);
}
END_TEST

/* Text that parsed before, with its recorded checksum: the same revision
 * (header, blocks and their lines), the checksum taken as recorded
 * rather than hashed again; a recorded checksum of the wrong length is
 * not trusted. */
START_TEST(test_revision__parse_recorded)
{
    const char *text = "-- revision: 0002\n-- down_revision: 0001\n"
                       "-- message: two\n\n-- +upgrade\nCREATE TABLE t (a INT);\n"
                       "-- +downgrade dialect=sqlite\nDROP TABLE t;\n";
    struct db_revision a, b;
    struct db_error err;
    ck_assert_int_eq(db_revision_parse(&a, "v/0002_x.sql", text,
                                       strlen(text), &err), 0);
    char recorded[65];
    memset(recorded, 'f', 64);
    recorded[64] = '\0';
    ck_assert_int_eq(db_revision_parse_recorded(&b, "v/0002_x.sql", text,
                                                strlen(text), recorded,
                                                &err), 0);
    ck_assert_str_eq(b.checksum, recorded);
    ck_assert_str_eq(b.id, a.id);
    ck_assert_int_eq(b.ndown, 1);
    ck_assert_str_eq(b.down[0], "0001");
    ck_assert_str_eq(b.message, a.message);
    ck_assert_int_eq(b.nblocks, a.nblocks);
    ck_assert(b.has_downgrade);
    for (size_t i = 0; i < a.nblocks; i++) {
        ck_assert_str_eq(b.blocks[i].sql, a.blocks[i].sql);
        ck_assert_int_eq(b.blocks[i].line, a.blocks[i].line);
        ck_assert_int_eq(b.blocks[i].dialect, a.blocks[i].dialect);
    }
    db_revision_clear(&b);
    ck_assert_int_eq(db_revision_parse_recorded(&b, "v/0002_x.sql", text,
                                                strlen(text), "abc", &err),
                     0);
    ck_assert_str_eq(b.checksum, a.checksum);
    db_revision_clear(&a);
    db_revision_clear(&b);
}
END_TEST

/* A revision built from its recorded header: the same header as the
 * parse, its blocks pending until completed; a header that a parse would
 * refuse (a bad id, a parent named twice or itself, a file name that does
 * not start with the id) is refused, so the file is read instead. */
START_TEST(test_revision__from_head)
{
    const char *text = "-- revision: 0003\n-- down_revision: 0001, 0002\n"
                       "-- message: merge\n\n-- +upgrade\nSELECT 1;\n"
                       "-- +downgrade\nSELECT 2;\n";
    struct db_revision a, b;
    struct db_error err;
    ck_assert_int_eq(db_revision_parse(&a, "v/0003_m.sql", text,
                                       strlen(text), &err), 0);
    struct db_revision_head h;
    char down[256];
    ck_assert_int_eq(db_revision_head_of(&h, &a, down, sizeof down), 0);
    ck_assert_int_eq(h.downlen, 9);
    ck_assert_int_eq(memcmp(h.down, "0001,0002", 9), 0);
    ck_assert_int_eq(db_revision_head_of(&h, &a, down, 6), -1);
    ck_assert_int_eq(db_revision_head_of(&h, &a, down, sizeof down), 0);
    ck_assert_int_eq(db_revision_from_head(&b, "v/0003_m.sql", &h, text,
                                           strlen(text), a.checksum), 0);
    ck_assert_str_eq(b.id, "0003");
    ck_assert_int_eq(b.ndown, 2);
    ck_assert_str_eq(b.down[0], "0001");
    ck_assert_str_eq(b.down[1], "0002");
    ck_assert_str_eq(b.message, "merge");
    ck_assert_int_eq(b.header_line, a.header_line);
    ck_assert_int_eq(b.down_line, a.down_line);
    ck_assert(b.has_downgrade);
    ck_assert_str_eq(b.checksum, a.checksum);
    ck_assert_int_eq(b.nblocks, 0);
    ck_assert_int_eq(db_revision_complete(&b, &err), 0);
    ck_assert_int_eq(b.nblocks, a.nblocks);
    ck_assert_str_eq(b.blocks[1].sql, a.blocks[1].sql);
    ck_assert_ptr_null(b.pending);
    db_revision_clear(&b);

    struct db_revision_head bad = h;
    bad.down = "0001,0001";
    ck_assert_int_eq(db_revision_from_head(&b, "v/0003_m.sql", &bad, text,
                                           strlen(text), a.checksum), -1);
    bad.down = "0001,0003";
    ck_assert_int_eq(db_revision_from_head(&b, "v/0003_m.sql", &bad, text,
                                           strlen(text), a.checksum), -1);
    bad.down = "0001,,002";
    ck_assert_int_eq(db_revision_from_head(&b, "v/0003_m.sql", &bad, text,
                                           strlen(text), a.checksum), -1);
    bad = h;
    bad.id = "0004";
    ck_assert_int_eq(db_revision_from_head(&b, "v/0003_m.sql", &bad, text,
                                           strlen(text), a.checksum), -1);
    bad.id = "00-3";
    ck_assert_int_eq(db_revision_from_head(&b, "v/00-3_m.sql", &bad, text,
                                           strlen(text), a.checksum), -1);
    /* a head that disagrees with the text: refused when completed */
    bad = h;
    bad.down = "0001";
    bad.downlen = 4;
    ck_assert_int_eq(db_revision_from_head(&b, "v/0003_m.sql", &bad, text,
                                           strlen(text), a.checksum), 0);
    ck_assert_int_eq(db_revision_complete(&b, &err), DB_EPARSE);
    db_revision_clear(&b);
    db_revision_clear(&a);
}
END_TEST

/* The first place of what in data. */
static char *bytes_at(char *data, size_t len, const char *what)
{
    size_t n = strlen(what);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(data + i, what, n) == 0)
            return data + i;
    ck_abort_msg("'%s' is not in the record", what);
    return NULL;
}

/* The record c holds (closed here, not written), copied, with the second
 * byte of the first place of what in it set to byte, and parsed again
 * into c; the bytes (*len of them), for the caller to free after c. */
static char *reparse_damaged(struct db_revcache *c, const char *what,
                             char byte, size_t *len)
{
    *len = c->data.len;
    char *data = malloc(*len);
    ck_assert_ptr_nonnull(data);
    memcpy(data, c->data.p, *len);
    db_revcache_close(c, -1);
    bytes_at(data, *len, what)[1] = byte;
    memset(c, 0, sizeof *c);
    ck_assert_int_eq(db_revcache_parse(c, data, *len), 0);
    return data;
}

/* Two revisions as the record keeps them: the files' status, their
 * checksum, their headers. */
static const struct db_revcache_key rec_k1 = {1, 2, 5, 100, 0, 100, 0};
static const struct db_revcache_key rec_k2 = {1, 3, 5, 100, 0, 100, 0};
static const char rec_sum[] =
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const struct db_revision_head rec_h1 = {"0001", "", "a", 4, 0, 1,
                                               1, 0, true};
static const struct db_revision_head rec_h2 = {"0002", "0001", "b", 4, 4, 1,
                                               1, 2, true};

/* Each entry of the record carries its own check: a damaged entry is
 * never found, the others still are. */
START_TEST(test_revision__record_entry_check)
{
    const char *tmp = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/revcacheXXXXXX", tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(path));
    int dfd = open(path, O_RDONLY | O_DIRECTORY);
    ck_assert_int_ge(dfd, 0);
    struct db_revcache c;
    ck_assert_int_eq(db_revcache_open(&c, dfd), 0);
    db_revcache_add(&c, "0001_a.sql", &rec_k1, "one;\n", 5, rec_sum, &rec_h1);
    db_revcache_add(&c, "0002_b.sql", &rec_k2, "two;\n", 5, rec_sum, &rec_h2);
    db_revcache_close(&c, dfd);

    ck_assert_int_eq(db_revcache_open(&c, dfd), 0);
    ck_assert_int_eq(c.n, 2);
    ck_assert_ptr_nonnull(db_revcache_find(&c, "0001_a.sql", &rec_k1));
    const struct db_revcache_entry *e =
        db_revcache_find(&c, "0002_b.sql", &rec_k2);
    ck_assert_ptr_nonnull(e);
    /* the header comes back as recorded */
    ck_assert_int_eq(e->head.idlen, 4);
    ck_assert_int_eq(memcmp(e->head.id, "0002", 4), 0);
    ck_assert_int_eq(e->head.downlen, 4);
    ck_assert_int_eq(memcmp(e->head.down, "0001", 4), 0);
    ck_assert_int_eq(e->head.down_line, 2);
    ck_assert(e->head.has_downgrade);
    /* the record is mapped, not copied */
    ck_assert(c.data.mapped);
    /* one byte of the second entry's text changed */
    size_t len;
    char *data = reparse_damaged(&c, "two;", 'X', &len);
    ck_assert_int_eq(c.n, 2);
    ck_assert(c.v[0].ok);
    ck_assert(!c.v[1].ok);
    ck_assert_ptr_nonnull(db_revcache_find(&c, "0001_a.sql", &rec_k1));
    ck_assert_ptr_null(db_revcache_find(&c, "0002_b.sql", &rec_k2));
    free(c.v);
    free(data);
    unlinkat(dfd, DB_REVCACHE_FILE, 0);
    close(dfd);
    rmdir(path);
}
END_TEST

/* The record stands for the versions directory's listing only for the
 * directory status it was written with, settled, when it names every
 * file listed, and while every entry passes its check. */
START_TEST(test_revision__record_names_stand_for_the_listing)
{
    int dfd = open(tu_tmpdir(), O_RDONLY | O_DIRECTORY);
    ck_assert_int_ge(dfd, 0);
    struct db_revcache_key dir = {7, 8, 4096, 100, 5, 100, 5};
    struct db_revcache c;

    /* three files listed, two recorded: no listing recorded */
    ck_assert_int_eq(db_revcache_open(&c, dfd), 0);
    db_revcache_listed(&c, &dir, 3);
    db_revcache_add(&c, "0001_a.sql", &rec_k1, "one;\n", 5, rec_sum, &rec_h1);
    db_revcache_add(&c, "0002_b.sql", &rec_k2, "two;\n", 5, rec_sum, &rec_h2);
    db_revcache_close(&c, dfd);
    ck_assert_int_eq(db_revcache_open(&c, dfd), 0);
    ck_assert_int_eq(c.n, 2);
    ck_assert(!db_revcache_names_stand(&c, &dir));
    /* the same two, now all there is: recorded, though nothing else
     * changed */
    db_revcache_listed(&c, &dir, 2);
    db_revcache_keep(&c, db_revcache_find(&c, "0001_a.sql", &rec_k1));
    db_revcache_keep(&c, db_revcache_find(&c, "0002_b.sql", &rec_k2));
    db_revcache_close(&c, dfd);
    ck_assert_int_eq(db_revcache_open(&c, dfd), 0);
    ck_assert(db_revcache_names_stand(&c, &dir));
    /* any other status of the directory: not */
    struct db_revcache_key moved = dir;
    moved.mtime_ns++;
    ck_assert(!db_revcache_names_stand(&c, &moved));
    moved = dir;
    moved.ino++;
    ck_assert(!db_revcache_names_stand(&c, &moved));
    /* a damaged entry: its name cannot be trusted either */
    size_t len;
    char *data = reparse_damaged(&c, "0002_b", '1', &len);
    ck_assert(!db_revcache_names_stand(&c, &dir));
    free(c.v);
    /* a damaged directory part: no listing */
    bytes_at(data, len, "0102_b")[1] = '0';
    data[sizeof "app revision cache 3\n" - 1 + 8] ^= 1;
    memset(&c, 0, sizeof c);
    ck_assert_int_eq(db_revcache_parse(&c, data, len), 0);
    ck_assert_int_eq(c.n, 2);
    ck_assert(!db_revcache_names_stand(&c, &dir));
    free(c.v);
    free(data);

    /* a directory changed within the settling time is not recorded */
    ck_assert_int_eq(db_revcache_open(&c, dfd), 0);
    struct db_revcache_key fresh = dir;
    fresh.mtime_s = fresh.ctime_s = c.now_ns / 1000000000;
    db_revcache_listed(&c, &fresh, 2);
    db_revcache_keep(&c, db_revcache_find(&c, "0001_a.sql", &rec_k1));
    db_revcache_keep(&c, db_revcache_find(&c, "0002_b.sql", &rec_k2));
    db_revcache_close(&c, dfd);
    ck_assert_int_eq(db_revcache_open(&c, dfd), 0);
    ck_assert(!db_revcache_names_stand(&c, &fresh));
    ck_assert(!db_revcache_names_stand(&c, &dir));
    db_revcache_close(&c, -1);
    close(dfd); /* the directory goes with tu_cleanup */
}
END_TEST

START_TEST(test_revision__checksum_covers_the_file)
{
    const char *a = "-- revision: 0001\n-- message: m\n-- +upgrade\nSELECT 1;\n";
    const char *b = "-- revision: 0001\n-- message: M\n-- +upgrade\nSELECT 1;\n";
    struct db_revision ra, rb;
    struct db_error err;
    ck_assert_int_eq(db_revision_parse(&ra, "v/0001_x.sql", a, strlen(a), &err), 0);
    ck_assert_int_eq(db_revision_parse(&rb, "v/0001_x.sql", b, strlen(b), &err), 0);
    /* SHA-256 of the file's bytes, as sha256sum prints it */
    ck_assert_str_eq(ra.checksum,
                     "279c6f18979e74b7d2e1d22cfa57951a23c0f553f953543713c4f95b969a2d8a");
    ck_assert_str_ne(ra.checksum, rb.checksum);
    ck_assert_int_eq(ra.ndown, 0);
    ck_assert_int_eq(ra.has_downgrade, 0);
    db_revision_clear(&ra);
    db_revision_clear(&rb);
}
END_TEST

/* A merge's parents separated by tabs (or any white space) instead of
 * ", ": the separators that size the parent list must be the ones that
 * split it (a tab once overflowed the list). */
START_TEST(test_revision__down_revision_any_whitespace)
{
    static const char *const seps[] = {"\t", " \t ", ",\t", "\v", "\f",
                                       "\r", " ,\t,  "};
    for (size_t i = 0; i < sizeof seps / sizeof seps[0]; i++) {
        char text[256];
        snprintf(text, sizeof text,
                 "-- revision: 0004\n"
                 "-- down_revision: 0001%s0002%s0003\n"
                 "-- +upgrade\nSELECT 1;\n", seps[i], seps[i]);
        struct db_revision r;
        struct db_error err;
        int rc = db_revision_parse(&r, "v/0004_m.sql", text, strlen(text),
                                   &err);
        ck_assert_msg(rc == 0, "separator %zu: %s", i, err.message);
        ck_assert_int_eq(r.ndown, 3);
        ck_assert_str_eq(r.down[0], "0001");
        ck_assert_str_eq(r.down[1], "0002");
        ck_assert_str_eq(r.down[2], "0003");
        db_revision_clear(&r);
    }
    /* the corpus's regression input, byte for byte */
    char *text = tu_read_file("tests/fuzz/corpus/revision/"
                              "regression-down-revision-tabs");
    ck_assert_ptr_nonnull(text);
    struct db_revision r;
    struct db_error err;
    ck_assert_int_eq(db_revision_parse(&r, "v/0004_merge.sql", text,
                                       strlen(text), &err), 0);
    ck_assert_int_eq(r.ndown, 3);
    db_revision_clear(&r);
    free(text);
}
END_TEST

/* ---- fixtures ----------------------------------------------------------- */

static int dump_statement(void *ctx, const char *stmt, size_t len, int line)
{
    db_buf_printf(ctx, "  %d: %.*s\n", line, (int)len, stmt);
    return 0;
}

static void dump(struct db_buf *out, const char *path)
{
    struct db_revision r;
    struct db_error err;
    if (db_revision_load(&r, path, &err)) {
        char line[2048];
        db_error_format(line, sizeof line, &err);
        /* keep only the file's base name: fixtures run from any checkout */
        const char *base = strstr(line, FIXTURES "/");
        db_buf_printf(out, "error %s: %s\n", db_error_name(err.code),
                      base ? base + strlen(FIXTURES) + 1 : line);
        return;
    }
    db_buf_printf(out, "revision %s; down", r.id);
    for (size_t k = 0; k < r.ndown; k++)
        db_buf_printf(out, " %s", r.down[k]);
    db_buf_printf(out, "; message %s\n", r.message);
    for (size_t b = 0; b < r.nblocks; b++) {
        const struct db_revision_block *blk = &r.blocks[b];
        db_buf_printf(out, "%s dialect=%s transaction=%s\n",
                      blk->direction == DB_UPGRADE ? "+upgrade" : "+downgrade",
                      blk->dialect == DB_DIALECT_SQLITE       ? "sqlite"
                      : blk->dialect == DB_DIALECT_POSTGRESQL ? "postgresql"
                                                              : "all",
                      blk->transaction ? "true" : "false");
        if (blk->dialect) {
            struct db_error e2;
            ck_assert_int_eq(db_sql_split(blk->sql,
                                          (enum db_dialect)blk->dialect,
                                          blk->line, dump_statement, out,
                                          &e2), 0);
            continue;
        }
        /* a block for every database: once when both split it alike,
         * else each dialect's statements (or error) in turn */
        struct db_buf each[2] = {DB_BUF_INIT, DB_BUF_INIT};
        static const enum db_dialect ds[2] = {DB_DIALECT_SQLITE,
                                              DB_DIALECT_POSTGRESQL};
        for (int k = 0; k < 2; k++) {
            struct db_error e2;
            if (db_sql_split(blk->sql, ds[k], blk->line, dump_statement,
                             &each[k], &e2))
                db_buf_printf(&each[k], "  error: %d: %s\n", e2.line,
                              e2.message);
        }
        if (strcmp(db_buf_str(&each[0]), db_buf_str(&each[1])) == 0) {
            db_buf_puts(out, db_buf_str(&each[0]));
        } else {
            db_buf_printf(out, " on sqlite:\n%s on postgresql:\n%s",
                          db_buf_str(&each[0]), db_buf_str(&each[1]));
        }
        db_buf_free(&each[0]);
        db_buf_free(&each[1]);
    }
    db_revision_clear(&r);
}

START_TEST(test_revision__fixtures)
{
    DIR *d = opendir(FIXTURES);
    ck_assert_msg(d != NULL, "run from the repository root: no " FIXTURES);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".sql") != 0)
            continue;
        char path[1024], exp[1024];
        snprintf(path, sizeof path, FIXTURES "/%s", e->d_name);
        snprintf(exp, sizeof exp, FIXTURES "/%.*s.expected", (int)(len - 4),
                 e->d_name);
        struct db_buf out = DB_BUF_INIT;
        dump(&out, path);
        const char *w = getenv("FIXTURE_WRITE");
        if (w && *w == '1')
            tu_write_file(exp, db_buf_str(&out));
        char *want = tu_read_file(exp);
        ck_assert_msg(want != NULL, "missing %s", exp);
        ck_assert_msg(strcmp(want, db_buf_str(&out)) == 0,
                      "%s differs from %s:\n%s", path, exp, db_buf_str(&out));
        free(want);
        db_buf_free(&out);
        n++;
    }
    closedir(d);
    ck_assert_int_ge(n, 9);
}
END_TEST

Suite *revision_suite(void)
{
    Suite *s = suite_create("revision");
    TCase *tc = tcase_create("revision");
    tcase_add_checked_fixture(tc, NULL, tu_cleanup);
    tcase_add_test(tc, test_revision__split_plain);
    tcase_add_test(tc, test_revision__split_quotes_and_comments);
    tcase_add_test(tc, test_revision__split_dollar_quotes);
    tcase_add_test(tc, test_revision__split_trigger_body);
    tcase_add_test(tc, test_revision__split_unterminated);
    tcase_add_test(tc, test_revision__split_sqlite_comments_do_not_nest);
    tcase_add_test(tc, test_revision__split_pg_parentheses);
    tcase_add_test(tc, test_revision__psql_meta_commands);
    tcase_add_test(tc, test_revision__check_by_dialect);
    tcase_add_test(tc, test_revision__checksum_covers_the_file);
    tcase_add_test(tc, test_revision__parse_recorded);
    tcase_add_test(tc, test_revision__record_entry_check);
    tcase_add_test(tc, test_revision__record_names_stand_for_the_listing);
    tcase_add_test(tc, test_revision__from_head);
    tcase_add_test(tc, test_revision__down_revision_any_whitespace);
    tcase_add_test(tc, test_revision__fixtures);
    suite_add_tcase(s, tc);
    return s;
}
