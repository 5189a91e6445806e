/*
 * sqlite_vfs.c - the VFS the SQLite driver opens its databases with: the
 * system's, except that each WAL frame reaches the file in one write.
 *
 * SQLite appends a frame to the WAL as two writes: its 24-byte header,
 * then the page right after it. Each is a system call, and a commit of a
 * task (eight pages) made sixteen of them. Here a frame header is held
 * back until the next call on the file: when that is the write that
 * starts where the header ends, the two go out as one write of both;
 * anything else (another write, a read, a sync, a truncation, the size
 * asked, a close) first sends the header alone, as SQLite would have.
 * Nothing reads a frame between its two writes: readers take frames from
 * the wal-index, which the writer updates only after writing every frame
 * of its commit. So the bytes that reach the file, and their order
 * relative to each sync, are the ones SQLite would have written; only
 * the number of system calls changes. Every other file, and every other
 * call, is the system VFS's own.
 */
#include "sqlite_vfs.h"

#include <stdlib.h>
#include <string.h>

#define FRAME_HEADER 24   /* WAL_FRAME_HDRSIZE */
#define WAL_HEADER 32     /* WAL_HDRSIZE: frames start after it */

struct wal_file {
    sqlite3_file base;        /* its methods: wal_methods */
    sqlite3_file *sys;        /* the system VFS's file, after this one */
    unsigned char *frame;     /* a held header, then room for its page */
    int cap;                  /* bytes of frame */
    int held;                 /* a header is held back */
    sqlite3_int64 held_at;    /* its offset */
};

/* The system file sits after ours, aligned as malloc aligns. */
#define WAL_FILE_SIZE ((sizeof(struct wal_file) + 15) & ~(size_t)15)

static sqlite3_vfs *sys_vfs;
static sqlite3_vfs app_vfs;

static struct wal_file *wal_of(sqlite3_file *f)
{
    return (struct wal_file *)f;
}

/* Sends a held header on its own. */
static int release(struct wal_file *w)
{
    if (!w->held)
        return SQLITE_OK;
    w->held = 0;
    return w->sys->pMethods->xWrite(w->sys, w->frame, FRAME_HEADER,
                                    w->held_at);
}

static int wal_close(sqlite3_file *f)
{
    struct wal_file *w = wal_of(f);
    int rc = release(w);
    int crc = w->sys->pMethods ? w->sys->pMethods->xClose(w->sys)
                               : SQLITE_OK;
    free(w->frame);
    w->frame = NULL;
    return rc ? rc : crc;
}

static int wal_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
    struct wal_file *w = wal_of(f);
    int rc = release(w);
    return rc ? rc : w->sys->pMethods->xRead(w->sys, buf, n, off);
}

/* Room for a header and a page of n bytes. */
static int room(struct wal_file *w, int n)
{
    if (w->cap >= FRAME_HEADER + n)
        return 1;
    unsigned char *p = realloc(w->frame, (size_t)FRAME_HEADER + (size_t)n);
    if (!p)
        return 0;
    w->frame = p;
    w->cap = FRAME_HEADER + n;
    return 1;
}

static int wal_write(sqlite3_file *f, const void *buf, int n,
                     sqlite3_int64 off)
{
    struct wal_file *w = wal_of(f);
    const sqlite3_io_methods *m = w->sys->pMethods;
    if (w->held && off == w->held_at + FRAME_HEADER && n > 0 &&
        room(w, n)) {
        /* the page right after its header: both in one write */
        memcpy(w->frame + FRAME_HEADER, buf, (size_t)n);
        w->held = 0;
        return m->xWrite(w->sys, w->frame, FRAME_HEADER + n, w->held_at);
    }
    int rc = release(w);
    if (rc)
        return rc;
    if (n == FRAME_HEADER && off >= WAL_HEADER && room(w, 0)) {
        memcpy(w->frame, buf, FRAME_HEADER);
        w->held = 1;
        w->held_at = off;
        return SQLITE_OK;
    }
    return m->xWrite(w->sys, buf, n, off);
}

static int wal_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    struct wal_file *w = wal_of(f);
    int rc = release(w);
    return rc ? rc : w->sys->pMethods->xTruncate(w->sys, size);
}

static int wal_sync(sqlite3_file *f, int flags)
{
    struct wal_file *w = wal_of(f);
    int rc = release(w);
    return rc ? rc : w->sys->pMethods->xSync(w->sys, flags);
}

static int wal_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    struct wal_file *w = wal_of(f);
    int rc = release(w);
    return rc ? rc : w->sys->pMethods->xFileSize(w->sys, size);
}

static int wal_lock(sqlite3_file *f, int level)
{
    struct wal_file *w = wal_of(f);
    return w->sys->pMethods->xLock(w->sys, level);
}

static int wal_unlock(sqlite3_file *f, int level)
{
    struct wal_file *w = wal_of(f);
    return w->sys->pMethods->xUnlock(w->sys, level);
}

static int wal_check_reserved(sqlite3_file *f, int *out)
{
    struct wal_file *w = wal_of(f);
    return w->sys->pMethods->xCheckReservedLock(w->sys, out);
}

static int wal_file_control(sqlite3_file *f, int op, void *arg)
{
    struct wal_file *w = wal_of(f);
    int rc = release(w);
    return rc ? rc : w->sys->pMethods->xFileControl(w->sys, op, arg);
}

static int wal_sector_size(sqlite3_file *f)
{
    struct wal_file *w = wal_of(f);
    return w->sys->pMethods->xSectorSize(w->sys);
}

static int wal_device(sqlite3_file *f)
{
    struct wal_file *w = wal_of(f);
    return w->sys->pMethods->xDeviceCharacteristics(w->sys);
}

/* Version 1: a WAL file has no shared memory nor mapping of its own (the
 * database file has them, and stays the system's), so SQLite never asks
 * it for either. */
static const sqlite3_io_methods wal_methods = {
    .iVersion = 1,
    .xClose = wal_close,
    .xRead = wal_read,
    .xWrite = wal_write,
    .xTruncate = wal_truncate,
    .xSync = wal_sync,
    .xFileSize = wal_file_size,
    .xLock = wal_lock,
    .xUnlock = wal_unlock,
    .xCheckReservedLock = wal_check_reserved,
    .xFileControl = wal_file_control,
    .xSectorSize = wal_sector_size,
    .xDeviceCharacteristics = wal_device,
};

static int app_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f,
                    int flags, int *out_flags)
{
    (void)vfs;
    if (!(flags & SQLITE_OPEN_WAL))
        return sys_vfs->xOpen(sys_vfs, name, f, flags, out_flags);
    struct wal_file *w = wal_of(f);
    memset(w, 0, sizeof *w);
    w->sys = (sqlite3_file *)((char *)f + WAL_FILE_SIZE);
    w->sys->pMethods = NULL;
    int rc = sys_vfs->xOpen(sys_vfs, name, w->sys, flags, out_flags);
    /* SQLite closes a file whose methods are set, opened or not */
    w->base.pMethods = w->sys->pMethods ? &wal_methods : NULL;
    return rc;
}

int db_sqlite_vfs_register(void)
{
    if (sys_vfs)
        return SQLITE_OK;
    sqlite3_vfs *sys = sqlite3_vfs_find(NULL);
    if (!sys)
        return SQLITE_ERROR;
    app_vfs = *sys; /* every method the system's, called the same way */
    app_vfs.pNext = NULL;
    app_vfs.zName = "app";
    app_vfs.szOsFile = (int)WAL_FILE_SIZE + sys->szOsFile;
    app_vfs.xOpen = app_open;
    sys_vfs = sys;
    return sqlite3_vfs_register(&app_vfs, 1);
}
