/*
 * graph.h - the revision graph: every file of the versions directory, its
 * heads, and targets ("head", "+2", "0003-1", ...) turned into sets.
 */
#ifndef DB_GRAPH_H
#define DB_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "revcache.h"
#include "revision.h"

/*
 * Revisions in topological order: each comes after all its parents;
 * between unrelated ones, the smaller id first. Indexes into revs are
 * stable for the graph's life; sets over it are arrays of g->n marks.
 */
struct db_graph {
    struct db_revision *revs;
    size_t n;
    char dir[1024];
    size_t *by_id;      /* indexes of revs in id order (strcmp) */
    struct db_revcache_bytes record; /* the revision record as read,
                                        while some revision's blocks are
                                        pending in it */
};

/*
 * Reads every *.sql file of dir (names starting with '.' or '_' skipped),
 * parses them and links them: ids unique, every down_revision present, no
 * cycle. A missing directory is an empty graph. Returns 0, DB_EIO,
 * DB_EPARSE or DB_EGRAPH (naming the file and line). Free with
 * db_graph_free.
 */
int db_graph_load(struct db_graph **out, const char *dir,
                  struct db_error *err);

/*
 * db_graph_load, except that a file taken from the revision record
 * (revcache.h) is parsed for its header only: ids, parents, messages,
 * checksums and has_downgrade are there, its blocks are pending until
 * db_graph_complete. For a start-up that may have nothing to run.
 */
int db_graph_load_headers(struct db_graph **out, const char *dir,
                          struct db_error *err);

/* Reads every pending block of g (db_graph_load_headers); NULL-safe, 0
 * when nothing is pending. Returns 0 or DB_ENOMEM. */
int db_graph_complete(struct db_graph *g, struct db_error *err);

/* NULL-safe. */
void db_graph_free(struct db_graph *g);

/*
 * A revision by id or unique prefix. Returns 0, DB_ENOTFOUND, or DB_EUSAGE
 * when the prefix is ambiguous (naming the candidates).
 */
int db_graph_find(size_t *out, const struct db_graph *g, const char *id,
                  struct db_error *err);

/* The index of the revision whose id is exactly id, or -1. O(log n). */
long db_graph_index(const struct db_graph *g, const char *id);

/* The heads (no child), in graph order, into out (g->n). Returns the count. */
size_t db_graph_heads(size_t *out, const struct db_graph *g);

/* Marks i and its ancestors / descendants (set entries are left set). */
void db_graph_ancestors(unsigned char *mark, const struct db_graph *g,
                        size_t i);
void db_graph_descendants(unsigned char *mark, const struct db_graph *g,
                          size_t i);

/* The children of i into out (g->n). Returns the count. */
size_t db_graph_children(size_t *out, const struct db_graph *g, size_t i);

/* applied = the union of the ancestors of the current heads. */
void db_graph_applied(unsigned char *applied, const struct db_graph *g,
                      const size_t *heads, size_t nheads);

/*
 * The current heads of an applied set: applied revisions with no applied
 * child. Returns the count.
 */
size_t db_graph_current(size_t *out, const struct db_graph *g,
                        const unsigned char *applied);

/*
 * Which revisions an upgrade to target needs applied (want: the target and
 * its ancestors; applied ones included). target: "head" (several heads:
 * DB_EGRAPH listing them and the merge command), "heads", an id or unique
 * prefix, or a relative target:
 *   "+N"     N steps along the child edges from the database's single
 *            current revision (from base: from the first revision);
 *   "REV+N"  the same from REV; "REV-N" N steps along the parent edges.
 *            REV is an id or unique prefix, "head" or "heads" (the single
 *            head) or "base".
 * A relative target is DB_EUSAGE, naming the revision where the walk
 * stopped, when a step meets a branch point (several children), a merge
 * (several parents, going down), a head or base, or when "+N" finds
 * several current revisions. Walking into a merge applies its other
 * parents too, as Alembic does.
 */
int db_graph_upgrade_target(unsigned char *want, const struct db_graph *g,
                            const unsigned char *applied, const char *target,
                            struct db_error *err);

/*
 * Which applied revisions a downgrade to target undoes. target: "base"
 * (all), an applied id or prefix (what follows it), or a relative target:
 * "-N" (N steps along the parent edges from the single current revision),
 * "REV-N", "REV+N", walked and refused as for upgrade (a merge on the way,
 * "-1" at a merge included, going past base, several current revisions);
 * a walk that ends exactly at base undoes everything.
 */
int db_graph_downgrade_target(unsigned char *undo, const struct db_graph *g,
                              const unsigned char *applied,
                              const char *target, struct db_error *err);

/* The next sequential id: one more than the largest numeric id, with at
 * least 4 digits ("0001" for an empty graph). */
void db_graph_next_id(char *out, size_t n, const struct db_graph *g);

#endif /* DB_GRAPH_H */
