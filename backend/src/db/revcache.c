/*
 * revcache.c - the record of the revision files as last read (see
 * revcache.h).
 *
 * Layout: the line "app revision cache 3\n"; the directory's part: its
 * check, then seven unsigned 64-bit numbers (whether the record names
 * every revision file of the versions directory, and that directory's
 * device, inode, modification seconds and nanoseconds, status-change
 * seconds and nanoseconds); then per file, in name order:
 * the entry's check, then fifteen unsigned 64-bit numbers (device, inode,
 * size, modification seconds and nanoseconds, status-change seconds and
 * nanoseconds, name length, text length; the header's line, the
 * down_revision line, whether it downgrades, the lengths of its id, its
 * parents joined by ',' and its message), the 64 hex digits of the
 * text's SHA-256, the name, the text, the id, the parents, the message;
 * the numbers in the machine's byte order. The check is db_revcache_check of the entry's bytes after it: a
 * 64-bit hash that catches a damaged or truncated entry (it is no defence
 * against someone who writes the record on purpose; whoever can write the
 * record can write the revision files beside it). It is a cache of this
 * machine's files, never copied elsewhere.
 */
#include "revcache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"

static const char magic[] = "app revision cache 3\n";
#define MAGIC_LEN (sizeof magic - 1)
#define NUMS 15
#define FIXED (8 + NUMS * 8 + 64)
#define DIR_NUMS 7
#define DIR_LEN (8 + DIR_NUMS * 8)
/* a revision file is text people review; anything larger is not cached */
#define MAX_TEXT (64u << 20)

void db_revcache_key_of(struct db_revcache_key *out, const struct stat *st)
{
    memset(out, 0, sizeof *out);
    out->dev = (uint64_t)st->st_dev;
    out->ino = (uint64_t)st->st_ino;
    out->size = (uint64_t)st->st_size;
    out->mtime_s = (int64_t)st->st_mtim.tv_sec;
    out->mtime_ns = (int64_t)st->st_mtim.tv_nsec;
    out->ctime_s = (int64_t)st->st_ctim.tv_sec;
    out->ctime_ns = (int64_t)st->st_ctim.tv_nsec;
}

static int key_eq(const struct db_revcache_key *a,
                  const struct db_revcache_key *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime_s == b->mtime_s && a->mtime_ns == b->mtime_ns &&
           a->ctime_s == b->ctime_s && a->ctime_ns == b->ctime_ns;
}

uint64_t db_revcache_check(const char *p, size_t n)
{
    const uint64_t m = 0xff51afd7ed558ccdULL;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * m;
        h ^= h >> 32;
    }
    if (i < n) {
        uint64_t w = 0;
        memcpy(&w, p + i, n - i);
        h = (h ^ w) * m;
        h ^= h >> 32;
    }
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static int is_hex(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return 0;
    return 1;
}

bool db_revcache_revision_name(const char *name, size_t n)
{
    return n >= 5 && n <= 255 && name[0] != '.' && name[0] != '_' &&
           memcmp(name + n - 4, ".sql", 4) == 0 && !memchr(name, '/', n) &&
           !memchr(name, '\0', n);
}

/* Whether the n bytes at name are a revision file's name that comes after
 * prev (NULL: the first) in strcmp order, as the graph loader lists
 * them. */
static bool listed_name(const char *name, size_t n, const char *prev,
                        size_t prevlen)
{
    if (!db_revcache_revision_name(name, n))
        return false;
    if (!prev)
        return true;
    size_t m = prevlen < n ? prevlen : n;
    int cmp = memcmp(prev, name, m);
    return cmp < 0 || (cmp == 0 && prevlen < n);
}

/* A file's or the directory's status from the record's numbers: its
 * device, inode and size (none recorded for the directory), then its
 * modification and change times, seconds and nanoseconds. */
static struct db_revcache_key key_of(uint64_t dev, uint64_t ino,
                                     uint64_t size, const uint64_t t[4])
{
    return (struct db_revcache_key){dev, ino, size, (int64_t)t[0],
                                    (int64_t)t[1], (int64_t)t[2],
                                    (int64_t)t[3]};
}

int db_revcache_parse(struct db_revcache *c, const char *data, size_t len)
{
    free(c->v);
    c->v = NULL;
    c->n = 0;
    c->cursor = 0;
    c->listing = c->names_ok = false;
    memset(&c->dir, 0, sizeof c->dir);
    if (len < MAGIC_LEN + DIR_LEN || memcmp(data, magic, MAGIC_LEN) != 0)
        return -1;
    uint64_t dcheck, dnum[DIR_NUMS];
    memcpy(&dcheck, data + MAGIC_LEN, 8);
    memcpy(dnum, data + MAGIC_LEN + 8, sizeof dnum);
    if (dcheck == db_revcache_check(data + MAGIC_LEN + 8, sizeof dnum) &&
        dnum[0] == 1) {
        c->listing = true;
        c->dir = key_of(dnum[1], dnum[2], 0, dnum + 3);
    }
    bool names_ok = true;
    size_t cap = 0, pos = MAGIC_LEN + DIR_LEN;
    while (pos < len) {
        uint64_t num[NUMS], check;
        if (len - pos < FIXED)
            goto bad;
        size_t start = pos + 8;
        memcpy(&check, data + pos, 8);
        memcpy(num, data + start, sizeof num);
        uint64_t namelen = num[7], textlen = num[8];
        uint64_t idlen = num[12], downlen = num[13], msglen = num[14];
        const char *sum = data + start + NUMS * 8;
        pos += FIXED;
        if (namelen == 0 || namelen > 4096 || textlen > MAX_TEXT ||
            textlen != num[2] || idlen > 4096 || downlen > MAX_TEXT ||
            msglen > 4096 || num[9] > INT32_MAX || num[10] > INT32_MAX ||
            num[11] > 1 || len - pos < namelen ||
            len - pos - namelen < textlen ||
            len - pos - namelen - textlen < idlen + downlen + msglen ||
            !is_hex(sum, 64))
            goto bad;
        if (c->n == cap) {
            cap = cap ? cap * 2 : 64;
            struct db_revcache_entry *p = realloc(c->v, cap * sizeof *p);
            if (!p)
                goto bad;
            c->v = p;
        }
        struct db_revcache_entry *e = &c->v[c->n++];
        e->key = key_of(num[0], num[1], num[2], num + 3);
        memcpy(e->checksum, sum, 64);
        e->checksum[64] = '\0';
        e->name = data + pos;
        e->namelen = (size_t)namelen;
        pos += namelen;
        e->text = data + pos;
        e->len = (size_t)textlen;
        pos += textlen;
        e->head.header_line = (int)num[9];
        e->head.down_line = (int)num[10];
        e->head.has_downgrade = num[11] != 0;
        e->head.id = data + pos;
        e->head.idlen = (size_t)idlen;
        pos += idlen;
        e->head.down = data + pos;
        e->head.downlen = (size_t)downlen;
        pos += downlen;
        e->head.message = data + pos;
        e->head.msglen = (size_t)msglen;
        pos += msglen;
        e->ok = db_revcache_check(data + start, pos - start) == check;
        const struct db_revcache_entry *p = c->n > 1 ? &c->v[c->n - 2] : NULL;
        names_ok = names_ok && e->ok &&
                   listed_name(e->name, e->namelen, p ? p->name : NULL,
                               p ? p->namelen : 0);
    }
    c->names_ok = names_ok;
    return 0;
bad:
    free(c->v);
    c->v = NULL;
    c->n = 0;
    c->listing = c->names_ok = false;
    return -1;
}

/* A directory's key: its size says nothing its times do not (and the
 * record does not keep it). */
static struct db_revcache_key dir_key(const struct db_revcache_key *k)
{
    struct db_revcache_key d = *k;
    d.size = 0;
    return d;
}

bool db_revcache_names_stand(const struct db_revcache *c,
                             const struct db_revcache_key *dir)
{
    struct db_revcache_key k = dir_key(dir);
    return c->listing && c->names_ok && key_eq(&c->dir, &k);
}

/* The rest of fd: one read of size + 1 bytes when size is right (a
 * short read of a regular file is its end), more when it grew. */
static char *read_all(int fd, uint64_t size, size_t *len)
{
    if (size > (uint64_t)MAX_TEXT * 4)
        size = (uint64_t)MAX_TEXT * 4;
    size_t cap = (size_t)size + 1, got = 0;
    char *buf = malloc(cap);
    while (buf) {
        ssize_t r = read(fd, buf + got, cap - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            errno = e;
            return NULL;
        }
        if (r == 0)
            break;
        got += (size_t)r;
        if (got < cap)
            break;
        char *p = realloc(buf, cap * 2);
        if (!p) {
            free(buf);
            errno = ENOMEM;
            return NULL;
        }
        buf = p;
        cap *= 2;
    }
    if (!buf) {
        errno = ENOMEM;
        return NULL;
    }
    buf[got] = '\0';
    *len = got;
    return buf;
}

char *db_revcache_read(int dirfd, const char *name, uint64_t size,
                       size_t *len)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *buf = read_all(fd, size, len);
    int e = errno;
    close(fd);
    errno = e;
    return buf;
}

int db_revcache_open(struct db_revcache *c, int dirfd)
{
    memset(c, 0, sizeof *c);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    c->now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
    int fd = openat(dirfd, DB_REVCACHE_FILE, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size > 0 &&
        (uint64_t)st.st_size <= (uint64_t)MAX_TEXT * 4) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
                       0);
        if (m != MAP_FAILED) {
            c->data.p = m;
            c->data.len = (size_t)st.st_size;
            c->data.mapped = true;
        } else {
            size_t len = 0;
            c->data.p = read_all(fd, (uint64_t)st.st_size, &len);
            c->data.len = len;
        }
    }
    close(fd);
    if (c->data.p && db_revcache_parse(c, c->data.p, c->data.len) != 0)
        db_revcache_bytes_free(&c->data);
    return 0;
}

void db_revcache_bytes_free(struct db_revcache_bytes *b)
{
    if (!b || !b->p)
        return;
    if (b->mapped)
        munmap((void *)b->p, b->len);
    else
        free((void *)b->p);
    memset(b, 0, sizeof *b);
}

static int name_cmp(const struct db_revcache_entry *e, const char *name,
                    size_t namelen)
{
    size_t n = e->namelen < namelen ? e->namelen : namelen;
    int r = memcmp(e->name, name, n);
    if (r)
        return r;
    return e->namelen < namelen ? -1 : e->namelen > namelen;
}

const struct db_revcache_entry *db_revcache_find(struct db_revcache *c,
                                                 const char *name,
                                                 const struct db_revcache_key *key)
{
    size_t namelen = strlen(name);
    while (c->cursor < c->n && name_cmp(&c->v[c->cursor], name, namelen) < 0)
        c->cursor++;
    if (c->cursor == c->n)
        return NULL;
    const struct db_revcache_entry *e = &c->v[c->cursor];
    if (name_cmp(e, name, namelen) != 0 || !key_eq(&e->key, key) || !e->ok)
        return NULL;
    return e;
}

static void put(struct db_buf *out, const struct db_revcache_entry *e)
{
    const struct db_revcache_key *k = &e->key;
    const struct db_revision_head *h = &e->head;
    uint64_t num[NUMS] = {k->dev, k->ino, k->size, (uint64_t)k->mtime_s,
                          (uint64_t)k->mtime_ns, (uint64_t)k->ctime_s,
                          (uint64_t)k->ctime_ns, e->namelen, e->len,
                          (uint64_t)h->header_line, (uint64_t)h->down_line,
                          h->has_downgrade, h->idlen, h->downlen, h->msglen};
    uint64_t check = 0;
    size_t at = out->len;
    db_buf_putn(out, (const char *)&check, 8);
    db_buf_putn(out, (const char *)num, sizeof num);
    db_buf_putn(out, e->checksum, 64);
    db_buf_putn(out, e->name, e->namelen);
    db_buf_putn(out, e->text, e->len);
    db_buf_putn(out, h->id, h->idlen);
    db_buf_putn(out, h->down, h->downlen);
    db_buf_putn(out, h->message, h->msglen);
    if (db_buf_ok(out)) {
        check = db_revcache_check(out->data + at + 8, out->len - at - 8);
        memcpy(out->data + at, &check, 8);
    }
}

static void seq_push(struct db_revcache *c, struct db_revcache_entry *e)
{
    if (c->nseq == c->seqcap) {
        size_t cap = c->seqcap ? c->seqcap * 2 : 256;
        struct db_revcache_entry **p = realloc(c->seq, cap * sizeof *p);
        if (!p) {
            c->oom = true;
            return;
        }
        c->seq = p;
        c->seqcap = cap;
    }
    c->seq[c->nseq++] = e;
}

/* Whether e is one of v's (not a copy owned by the new record). */
static bool is_old(const struct db_revcache *c,
                   const struct db_revcache_entry *e)
{
    return c->n > 0 && e >= c->v && e < c->v + c->n;
}

void db_revcache_keep(struct db_revcache *c,
                      const struct db_revcache_entry *e)
{
    if (!is_old(c, e))
        return;
    seq_push(c, &c->v[e - c->v]);
    c->nkept++;
}

#define NS 1000000000LL

/* Whether the time s.n is before limit (in nanoseconds since the epoch). */
static int before(int64_t s, int64_t n, int64_t limit)
{
    int64_t ls = limit / NS, ln = limit % NS;
    return s < ls || (s == ls && n < ln);
}

void db_revcache_add(struct db_revcache *c, const char *name,
                     const struct db_revcache_key *key, const char *text,
                     size_t len, const char *checksum,
                     const struct db_revision_head *head)
{
    /* settled: both times well before this load began (a time in the
     * future never is) */
    int64_t limit = c->now_ns - DB_REVCACHE_SETTLE_SECONDS * NS;
    if (!before(key->ctime_s, key->ctime_ns, limit) ||
        !before(key->mtime_s, key->mtime_ns, limit) || len != key->size ||
        len > MAX_TEXT || strlen(checksum) != 64 || head->header_line < 0 ||
        head->down_line < 0)
        return;
    size_t namelen = strlen(name);
    size_t hlen = head->idlen + head->downlen + head->msglen;
    struct db_revcache_entry *e = malloc(sizeof *e + namelen + len + hlen);
    if (!e) {
        c->oom = true;
        return;
    }
    char *copy = (char *)(e + 1);
    memcpy(copy, name, namelen);
    memcpy(copy + namelen, text, len);
    e->key = *key;
    e->name = copy;
    e->namelen = namelen;
    e->text = copy + namelen;
    e->len = len;
    char *hc = copy + namelen + len;
    e->head = *head;
    memcpy(hc, head->id, head->idlen);
    e->head.id = hc;
    hc += head->idlen;
    memcpy(hc, head->down, head->downlen);
    e->head.down = hc;
    hc += head->downlen;
    memcpy(hc, head->message, head->msglen);
    e->head.message = hc;
    e->ok = true;
    memcpy(e->checksum, checksum, 65);
    seq_push(c, e);
    if (c->oom) {
        free(e);
        return;
    }
    c->added = true;
}

void db_revcache_listed(struct db_revcache *c,
                        const struct db_revcache_key *dir, size_t files)
{
    int64_t limit = c->now_ns - DB_REVCACHE_SETTLE_SECONDS * NS;
    c->new_dir = dir_key(dir);
    c->listed = files;
    /* settled as a file is: a change within the same clock tick would
     * keep its times */
    c->new_listing = before(dir->mtime_s, dir->mtime_ns, limit) &&
                     before(dir->ctime_s, dir->ctime_ns, limit);
}

/* Writes buf as dirfd's record: a temporary file renamed over it. */
static void write_record(int dirfd, const struct db_buf *buf)
{
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", DB_REVCACHE_FILE, (long)getpid());
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                    0644);
    if (fd < 0)
        return;
    size_t off = 0;
    while (off < buf->len) {
        ssize_t w = write(fd, buf->data + off, buf->len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    int ok = close(fd) == 0 && off == buf->len;
    if (!ok || renameat(dirfd, tmp, dirfd, DB_REVCACHE_FILE) != 0)
        unlinkat(dirfd, tmp, 0);
}

void db_revcache_close(struct db_revcache *c, int dirfd)
{
    struct db_revcache_bytes b = db_revcache_close_keep(c, dirfd);
    db_revcache_bytes_free(&b);
}

struct db_revcache_bytes db_revcache_close_keep(struct db_revcache *c,
                                                int dirfd)
{
    struct db_revcache_bytes none = {NULL, 0, false};
    if (!c)
        return none;
    /* the new record names the whole directory when every file listed
     * is in it */
    bool listing = c->new_listing && c->nseq == c->listed;
    bool dir_changed = listing != c->listing ||
                       (listing && !key_eq(&c->dir, &c->new_dir));
    if (dirfd >= 0 && !c->oom &&
        (c->added || c->nkept != c->n || dir_changed)) {
        struct db_buf out = DB_BUF_INIT;
        db_buf_putn(&out, magic, MAGIC_LEN);
        struct db_revcache_key d = {0};
        if (listing)
            d = c->new_dir;
        uint64_t dnum[DIR_NUMS] = {listing,
                                   d.dev,
                                   d.ino,
                                   (uint64_t)d.mtime_s,
                                   (uint64_t)d.mtime_ns,
                                   (uint64_t)d.ctime_s,
                                   (uint64_t)d.ctime_ns};
        uint64_t dcheck = db_revcache_check((const char *)dnum, sizeof dnum);
        db_buf_putn(&out, (const char *)&dcheck, 8);
        db_buf_putn(&out, (const char *)dnum, sizeof dnum);
        for (size_t i = 0; i < c->nseq; i++)
            put(&out, c->seq[i]);
        if (db_buf_ok(&out))
            write_record(dirfd, &out);
        db_buf_free(&out);
    }
    for (size_t i = 0; i < c->nseq; i++)
        if (!is_old(c, c->seq[i]))
            free(c->seq[i]);
    free(c->seq);
    free(c->v);
    struct db_revcache_bytes data = c->data;
    memset(c, 0, sizeof *c);
    return data;
}
