/*
 * revcache.h - what each revision file of a versions directory held when
 * it was last read, keyed on its status, so that a start-up on an
 * unchanged directory reads one file instead of every revision.
 *
 * The record is .revision-cache beside the versions directory (in the
 * migrations directory), so that writing it leaves the versions
 * directory's own times alone. It keeps the versions directory's status
 * (device, inode, modification and status-change times) when the record
 * names every revision file of it: while that status matches, the
 * directory's names are the record's and it is not listed again (adding,
 * removing or renaming a file in a directory moves its modification
 * time; an edit in place moves only the file's, which its own entry
 * catches). For each file it keeps the name, the device, inode,
 * size, modification time and status-change time (both to the
 * nanosecond), the file's text, its SHA-256 and its parsed header (id,
 * parents, message), and a 64-bit check of the entry. A file is taken
 * from the record only when all six match its stat(2) and the entry
 * passes its check: the revision is then built from the recorded header
 * and SHA-256 without reading or parsing its text, whose blocks stay
 * pending until something runs them (db_revision_from_head,
 * db_revision_complete). An entry that fails its check (a damaged
 * record) makes the file be read again. So an
 * edit is always seen: writing a file, or restoring its modification time
 * with `touch -d`, moves its status-change time, which no unprivileged
 * call can set back. What it cannot see: an edit followed by setting the
 * system clock back to the old status-change time (root only), or a
 * filesystem that does not keep status-change times.
 *
 * A file changed less than DB_REVCACHE_SETTLE_SECONDS before it was read
 * is not recorded (another write within the same clock tick would keep
 * its times): it is read again until it has settled.
 *
 * The record is rewritten (a temporary file renamed over it) only when
 * what it holds changed; a migrations directory that cannot be written
 * keeps no record and every file is read. It is a cache: a missing,
 * truncated or damaged record only costs reading the files.
 */
#ifndef DB_REVCACHE_H
#define DB_REVCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "revision.h"


#define DB_REVCACHE_FILE ".revision-cache"
#define DB_REVCACHE_SETTLE_SECONDS 2

/* The status a record entry is matched on. */
struct db_revcache_key {
    uint64_t dev, ino, size;
    int64_t mtime_s, mtime_ns, ctime_s, ctime_ns;
};

struct db_revcache_entry {
    struct db_revcache_key key;
    const char *name;         /* not NUL-terminated: namelen bytes */
    size_t namelen;
    const char *text;         /* the file's bytes, len of them */
    size_t len;
    char checksum[65];        /* hex SHA-256 of text */
    struct db_revision_head head;  /* its header as parsed */
    bool ok;                  /* the entry passed its check */
};

/*
 * The record's bytes as read: mapped read-only where the system allows,
 * else copied into memory. A mapping is safe to keep: the record is only
 * ever replaced (a new file renamed over it), never written in place, so
 * a reader keeps the bytes it parsed. Mapping instead of copying spares a
 * start-up the page faults of a copy as large as every revision's text.
 */
struct db_revcache_bytes {
    const char *p;            /* NULL: none */
    size_t len;
    bool mapped;
};

/* Unmaps or frees b's bytes; NULL-safe, leaves b empty. */
void db_revcache_bytes_free(struct db_revcache_bytes *b);

struct db_revcache {
    struct db_revcache_bytes data; /* the record as read; entries point
                                      into it */
    struct db_revcache_entry *v;
    size_t n;
    size_t cursor;            /* lookups come in name order */
    /* the new record, in name order: entries of v kept, and files read
     * (those own their copies); written only when it differs from v */
    struct db_revcache_entry **seq;
    size_t nseq, seqcap;
    size_t nkept;             /* entries of v in seq */
    bool added;               /* seq has an entry v lacks */
    bool oom;
    int64_t now_ns;           /* when loading started (CLOCK_REALTIME) */
    /* the versions directory: as recorded (listing: the record names
     * every file of the directory whose status was dir), and as seen by
     * this load (db_revcache_listed) */
    struct db_revcache_key dir, new_dir;
    bool listing;             /* the recorded status stands for a listing */
    bool names_ok;            /* every entry passed its check, and the
                                 names are revision file names, in order */
    bool new_listing;         /* the new record stands for one */
    size_t listed;            /* files in the directory, as loaded */
};

/* The check of an entry's n bytes: a 64-bit hash against damage. */
uint64_t db_revcache_check(const char *p, size_t n);

/* Whether the n bytes at name name a revision file: ending in .sql, not
 * starting with '.' or '_' (the record's own and other hidden files),
 * without '/' or NUL, 255 bytes at most. The graph loader lists by this
 * rule, and the record's names stand for a listing only when each meets
 * it. */
bool db_revcache_revision_name(const char *name, size_t n);

/* The key of a stat(2) result. */
void db_revcache_key_of(struct db_revcache_key *out, const struct stat *st);

/*
 * Parses a record's bytes into c->v (pointing into data, which must stay
 * valid); an entry that fails its check has ok false and is never found.
 * Returns 0, or -1 when the bytes are not a whole record (c->v is
 * then empty); never reads outside data. Frees nothing it did not
 * allocate: call db_revcache_close.
 */
int db_revcache_parse(struct db_revcache *c, const char *data, size_t len);

/* Reads dirfd's record (missing or damaged: empty) and starts a new one.
 * Returns 0 or DB_ENOMEM. */
int db_revcache_open(struct db_revcache *c, int dirfd);

/* Whether the record's names are the versions directory's revision
 * files, now that its status is dir: they are, when the record was
 * written for a directory of this very status and every entry passed its
 * check. */
bool db_revcache_names_stand(const struct db_revcache *c,
                             const struct db_revcache_key *dir);

/* What this load saw of the versions directory: its status before it was
 * listed (or its names taken from the record), and how many revision
 * files it held. The new record stands for the listing when the status
 * had settled and every one of those files is recorded. */
void db_revcache_listed(struct db_revcache *c,
                        const struct db_revcache_key *dir, size_t files);

/* The entry for name when it matches key and passed its check, or NULL. Names must be asked
 * in strcmp order. */
const struct db_revcache_entry *db_revcache_find(struct db_revcache *c,
                                                 const char *name,
                                                 const struct db_revcache_key *key);

/* Carries a found entry into the new record. */
void db_revcache_keep(struct db_revcache *c,
                      const struct db_revcache_entry *e);

/* Records a file just read (head: its parsed header, copied), unless it
 * changed too recently. */
void db_revcache_add(struct db_revcache *c, const char *name,
                     const struct db_revcache_key *key, const char *text,
                     size_t len, const char *checksum,
                     const struct db_revision_head *head);

/*
 * The bytes of the file name in dirfd, NUL-terminated, their count in
 * *len: one open and one read of size + 1 bytes when size (from stat) is
 * still right. NULL with errno set when it cannot be read. Free with free.
 */
char *db_revcache_read(int dirfd, const char *name, uint64_t size,
                       size_t *len);

/* Writes the new record into dirfd when it differs from the old one
 * (errors are ignored: it is a cache), then frees c. NULL-safe with
 * dirfd < 0 meaning "do not write". */
void db_revcache_close(struct db_revcache *c, int dirfd);

/* db_revcache_close, except that the record as read (the bytes the found
 * entries' text points into) is returned, for the caller to free with
 * db_revcache_bytes_free, instead of freed. Empty when there was none. */
struct db_revcache_bytes db_revcache_close_keep(struct db_revcache *c,
                                                int dirfd);

#endif /* DB_REVCACHE_H */
