#!/usr/bin/python3
"""Differential test of the revision graph against Alembic.

For each seed: a random revision graph (20-200 revisions: linear runs,
branches, merges of 2-3 heads, sometimes several final heads, sometimes
several first revisions), written both as an Alembic project and as this
project's revision files. Every revision creates a table named after it and
its downgrade drops it; both sides run on their own SQLite file. The same
sequence of upgrade/downgrade targets (heads, head, base, ids, prefixes,
+N, -N, REV+N, REV-N) runs on both: Alembic in this process through its
Python API, the app as a subprocess ($APP). After every step the outcome
(success or refusal), the set of tables and the current revisions must
agree, and a refusal must leave the database as it was. Where Alembic
deliberately differs (DIFFERENCES below), the step is checked against the
documented expectation instead.

Run with Debian's interpreter, which has python3-alembic:
    /usr/bin/python3 tests/graph/alembic_diff.py --app build/app --seeds 1-300
"""

import argparse
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import warnings

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

# Where Alembic 1.8 and the app differ on purpose. For these steps the
# app is checked against the expectation written here, Alembic is checked
# to still behave as written here, and Alembic's database is then put back
# so both sides go on from the same state. Nothing is skipped.
#
# D1  `downgrade -N` with several current revisions.
#     Alembic: warns "downgrade -1 from multiple heads is ambiguous; this
#     usage will be disallowed in a future release" and walks down from the
#     first row of its version table (an order the user cannot see).
#     App: refuses (exit 1, nothing changed), naming the current revisions
#     and a REV-N command that says which one.
#     Checked: the app's refusal and its wording; Alembic's warning.
# D2  Characters after the number: `+1x`, `0003+2abc`.
#     Alembic: its pattern only has to match the start of the target, so
#     the rest is ignored and `+1x` is `+1`.
#     App: refuses with "bad relative target '+1x'", nothing changed.
#     Checked: the app's refusal; Alembic doing exactly what it does for
#     the target without the trailing characters.
# D3  `upgrade base-N`.
#     Alembic: its walk down from "nothing" starts with a step to the
#     heads, so `base-1` is the single head and `base-N` is `heads-(N-1)`.
#     App: refuses, "'base-1' goes past base: it starts at base".
#     Checked: the app's refusal; Alembic doing exactly what it does for
#     `heads-(N-1)`.
DIFFERENCES = {
    "D1": "downgrade -N with several current revisions",
    "D2": "characters after the number of a relative target",
    "D3": "upgrade base-N",
}


def documented(verb, target, cur):
    """(difference, the target Alembic is expected to treat it as), or
    (None, None)."""
    if verb == "downgrade" and re.fullmatch(r"-[1-9]\d*", target) and len(cur) > 1:
        return "D1", None
    m = re.fullmatch(r"(\w*?[+-]\d+)([a-z]+)", target)
    if m:
        return "D2", m.group(1)
    if verb == "upgrade" and re.fullmatch(r"base-\d+", target):
        return "D3", "heads-%d" % (int(target[5:]) - 1)
    return None, None


HEX = "0123456789abcdef"


# ---- the graph -------------------------------------------------------------

def make_graph(rng):
    """Returns (ids in creation order, parents: id -> tuple of ids)."""
    n = rng.randint(20, 200)
    numeric = rng.random() < 0.3
    ids, parents, used = [], {}, set()

    def new_id():
        while True:
            if numeric:
                rid = "%04d" % rng.randint(1, 9999)
            else:
                rid = "".join(rng.choice(HEX) for _ in range(rng.choice((4, 6, 12))))
            if rid not in used:
                used.add(rid)
                return rid

    heads = []
    children = {}

    def add(ps):
        rid = new_id()
        ids.append(rid)
        parents[rid] = tuple(ps)
        children[rid] = []
        for p in ps:
            children[p].append(rid)
            if p in heads:
                heads.remove(p)
        heads.append(rid)
        return rid

    add(())
    p_branch = rng.uniform(0.03, 0.2)
    p_merge = rng.uniform(0.05, 0.3)
    p_root = 0.02 if rng.random() < 0.15 else 0.0
    while len(ids) < n:
        r = rng.random()
        if r < p_root:
            add(())
        elif r < p_root + p_branch:
            # a new branch from any revision (a branch point)
            add((rng.choice(ids),))
        elif r < p_root + p_branch + p_merge and len(heads) >= 2:
            k = min(len(heads), rng.choice((2, 2, 3)))
            add(tuple(rng.sample(heads, k)))
        else:
            # a linear run on one head
            h = rng.choice(heads)
            for _ in range(rng.randint(1, 6)):
                if len(ids) >= n:
                    break
                h = add((h,))
    # usually join the branches at the end; sometimes leave several heads
    while len(heads) > 1 and rng.random() < 0.6:
        k = min(len(heads), rng.choice((2, 3)))
        add(tuple(rng.sample(heads, k)))
    return ids, parents


def write_ours(root, ids, parents):
    vdir = os.path.join(root, "migrations", "versions")
    os.makedirs(vdir)
    os.makedirs(os.path.join(root, "config"))
    with open(os.path.join(root, "config", "app.ini"), "w") as f:
        f.write("[database]\nurl = sqlite:///ours.db\n")
    for rid in ids:
        with open(os.path.join(vdir, "%s_r.sql" % rid), "w") as f:
            f.write("-- revision: %s\n" % rid)
            if parents[rid]:
                f.write("-- down_revision: %s\n" % ", ".join(parents[rid]))
            f.write("-- message: r%s\n\n-- +upgrade\n" % rid)
            f.write('CREATE TABLE "t_%s" ("id" INTEGER);\n\n' % rid)
            f.write('-- +downgrade\nDROP TABLE "t_%s";\n' % rid)


def write_alembic(root, ids, parents):
    sdir = os.path.join(root, "alembic")
    vdir = os.path.join(sdir, "versions")
    os.makedirs(vdir)
    for rid in ids:
        ps = parents[rid]
        down = None if not ps else (ps[0] if len(ps) == 1 else tuple(ps))
        with open(os.path.join(vdir, "%s_r.py" % rid), "w") as f:
            f.write(
                "from alembic import op\n"
                "revision = %r\ndown_revision = %r\n"
                "branch_labels = None\ndepends_on = None\n\n"
                "def upgrade():\n"
                "    op.execute('CREATE TABLE \"t_%s\" (\"id\" INTEGER)')\n\n"
                "def downgrade():\n"
                "    op.execute('DROP TABLE \"t_%s\"')\n"
                % (rid, down, rid, rid))
    return sdir


# ---- the two sides ---------------------------------------------------------

def tables(path):
    if not os.path.exists(path):
        return frozenset()
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT name FROM sqlite_master WHERE type='table' "
                           "AND name LIKE 't\\_%' ESCAPE '\\'").fetchall()
    finally:
        con.close()
    return frozenset(r[0][2:] for r in rows)


class Alembic:
    def __init__(self, root, sdir):
        self.path = os.path.join(root, "alembic.db")
        self.cfg = Config()
        self.cfg.set_main_option("script_location", sdir)
        self.script = ScriptDirectory(sdir)
        self.engine = create_engine("sqlite:///" + self.path)
        self.conn = self.connect()

    def connect(self):
        # The test's own database: durability is not what is compared.
        conn = self.engine.connect()
        conn.exec_driver_sql("PRAGMA synchronous = OFF")
        conn.exec_driver_sql("PRAGMA journal_mode = MEMORY")
        return conn

    def close(self):
        self.conn.close()
        self.engine.dispose()

    def current(self):
        if not os.path.exists(self.path):
            return frozenset()
        con = sqlite3.connect(self.path)
        try:
            rows = con.execute("SELECT version_num FROM alembic_version").fetchall()
        except sqlite3.OperationalError:
            rows = []
        finally:
            con.close()
        return frozenset(r[0] for r in rows)

    def run(self, verb, target):
        """Returns (ok, message, warnings)."""
        script = self.script

        def fn(rev, context):
            if verb == "upgrade":
                return script._upgrade_revs(target, rev)
            return script._downgrade_revs(target, rev)

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                with EnvironmentContext(self.cfg, script, fn=fn,
                                        destination_rev=target) as env:
                    env.configure(connection=self.conn)
                    with env.begin_transaction():
                        env.run_migrations()
                ok, msg = True, ""
            except Exception as e:  # every Alembic refusal is an exception
                ok, msg = False, "%s: %s" % (type(e).__name__, e)
        return ok, msg, [str(w.message) for w in caught]


class Ours:
    def __init__(self, app, root):
        self.app = app
        self.root = root
        self.path = os.path.join(root, "ours.db")

    def cmd(self, *args):
        p = subprocess.run([self.app, "db"] + list(args), cwd=self.root,
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True)
        return p.returncode, p.stdout, p.stderr

    def run(self, verb, target):
        # "--": a target such as -2 is not an option
        opts = ["--yes"] if verb == "downgrade" else []
        return self.cmd(verb, *opts, "--", target)

    def current(self):
        """The rows of the version table: what `app db current` prints
        (checked against the command itself at the end of every seed)."""
        if not os.path.exists(self.path):
            return frozenset()
        con = sqlite3.connect(self.path)
        try:
            rows = con.execute('SELECT "revision" FROM "app_version"').fetchall()
        except sqlite3.OperationalError:
            rows = []
        finally:
            con.close()
        return frozenset(r[0] for r in rows)

    def current_cmd(self):
        rc, out, err = self.cmd("current")
        if rc != 0:
            raise RuntimeError("app db current failed: %s" % err.strip())
        return frozenset(out.split())

    def offline(self, verb, frm, target):
        """The revisions `--sql FROM:TARGET` would run, or None (refused)."""
        rc, out, err = self.cmd(verb, "--sql", "%s:%s" % (frm, target))
        if rc != 0:
            return None, err.strip()
        return [m.group(1) for m in re.finditer(
            r"^-- (?:upgrade|downgrade) (\w+):", out, re.M)], ""


# ---- targets ---------------------------------------------------------------

def prefix_of(rng, rid, ids):
    """A prefix of rid: usually the shortest unique one (at least 1
    character), sometimes a shorter, ambiguous one."""
    for k in range(1, len(rid) + 1):
        p = rid[:k]
        if sum(1 for x in ids if x.startswith(p)) == 1:
            break
    if k > 1 and rng.random() < 0.3:
        k = rng.randint(1, k - 1)
    if k == len(rid):
        return rid
    return rid[:k]


def choose(rng, ids, parents, kids, cur):
    """The next (verb, target), chosen to reach the interesting places."""
    applied = set()
    todo = list(cur)
    while todo:
        r = todo.pop()
        if r not in applied:
            applied.add(r)
            todo.extend(parents[r])
    forks = [r for r in ids if len(kids[r]) > 1]
    merges = [r for r in ids if len(parents[r]) > 1]
    near = list(cur) + forks + merges

    def some(pool=None):
        pool = pool or ids
        return rng.choice(pool)

    def rev():
        """REV of a relative target."""
        if rng.random() < 0.1:
            return rng.choice(("head", "heads", "base"))
        return some(near if rng.random() < 0.5 else None)

    def n(zero=False):
        if zero and rng.random() < 0.05:
            return 0
        return rng.choice((1, 1, 1, 2, 2, 3, 4, 5, 8, 20))

    verb, target = choose_one(rng, ids, parents, cur, applied, merges,
                              some, rev, n)
    if re.search(r"[+-]\d+$", target) and rng.random() < 0.03:
        target += rng.choice(("x", "abc"))  # D2
    return verb, target


def choose_one(rng, ids, parents, cur, applied, merges, some, rev, n):
    r = rng.random()
    if r < 0.12:
        # a parent of a merge, from base: +N then walks into the merge
        mparents = [p for m in merges for p in parents[m]]
        if mparents and rng.random() < 0.3:
            return ("upgrade", some(mparents)) if not cur else ("downgrade", "base")
        return "upgrade", some()
    if r < 0.16:
        return "upgrade", prefix_of(rng, some(), ids)
    if r < 0.20:
        return "upgrade", rng.choice(("head", "heads"))
    if r < 0.38:
        return "upgrade", "+%d" % n(True)
    if r < 0.48:
        return "upgrade", "%s+%d" % (rev(), n(True))
    if r < 0.51:
        return "upgrade", "%s-%d" % ("base" if rng.random() < 0.1 else rev(), n())
    if r < 0.55:
        return "downgrade", "base"
    if r < 0.63:
        pool = sorted(applied) if applied and rng.random() < 0.8 else ids
        return "downgrade", some(pool)
    if r < 0.66:
        pool = sorted(applied) if applied else ids
        return "downgrade", prefix_of(rng, some(pool), ids)
    if r < 0.84:
        return "downgrade", "-%d" % n(True)
    if r < 0.96:
        pool = sorted(applied) if applied and rng.random() < 0.8 else ids
        if rng.random() < 0.1:
            return "downgrade", "%s-%d" % (rng.choice(("head", "heads")), n(True))
        return "downgrade", "%s-%d" % (some(pool), n(True))
    pool = sorted(applied) if applied else ids
    return "downgrade", "%s+%d" % (some(pool), n())


def kind(verb, target):
    """The shape of a target, for the summary."""
    if target in ("head", "heads", "base"):
        shape = target
    elif re.fullmatch(r"[+-]\d+", target):
        shape = target[0] + "N"
    elif re.fullmatch(r"\w+[+-]\d+", target):
        shape = "REV" + re.search(r"[+-]", target).group(0) + "N"
    else:
        shape = "id/prefix"
    return "%s %s" % (verb, shape)


# ---- one seed --------------------------------------------------------------

class Mismatch(Exception):
    pass


def workdir():
    """Memory-backed when the system has it (SQLite's fsyncs on both sides
    would otherwise take most of the time), else $TMPDIR."""
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK):
        return shm
    return None


def run_seed(seed, app, nsteps, verbose, keep):
    rng = random.Random(seed)
    ids, parents = make_graph(rng)
    kids = {r: [] for r in ids}
    for r in ids:
        for p in parents[r]:
            kids[p].append(r)
    root = tempfile.mkdtemp(prefix="graphdiff.", dir=workdir())
    write_ours(root, ids, parents)
    al = Alembic(root, write_alembic(root, ids, parents))
    us = Ours(app, root)
    log = []
    stats = {"steps": 0, "refused": 0, "documented": 0, "offline": 0,
             "kinds": {}, "by_difference": {}}
    nheads = sum(1 for r in ids if not kids[r])
    nroots = sum(1 for r in ids if not parents[r])
    try:
        for step in range(1, nsteps + 1):
            cur = al.current()
            verb, target = choose(rng, ids, parents, kids, cur)
            log.append("%s %s" % (verb, target))
            before_tables = tables(al.path)
            diff, alembic_as = documented(verb, target, cur)
            if diff:
                saved = al.path + ".saved"
                al.conn.close()
                shutil.copyfile(al.path, saved)
                al.conn = al.connect()
            a_ok, a_msg, a_warn = al.run(verb, target)
            u_rc, u_out, u_err = us.run(verb, target)
            stats["steps"] += 1
            a_tables, u_tables = tables(al.path), tables(us.path)
            a_cur, u_cur = al.current(), us.current()

            def fail(what):
                raise Mismatch(
                    "seed %d, step %d (%s %s): %s\n"
                    "  graph: %d revisions, %d heads, %d first revisions\n"
                    "  before: current %s\n"
                    "  alembic: %s%s; current %s\n"
                    "  app: exit %d%s; current %s\n"
                    "  tables only after alembic: %s\n"
                    "  tables only after the app: %s\n"
                    "  steps so far: %s\n"
                    "  reproduce: make graph-diff SEEDS=%d  (or /usr/bin/python3 "
                    "tests/graph/alembic_diff.py --app build/app --seeds %d -v --keep)"
                    % (seed, step, verb, target, what, len(ids), nheads, nroots,
                       " ".join(sorted(cur)) or "base",
                       "ok" if a_ok else "refused", (": " + a_msg) if a_msg else "",
                       " ".join(sorted(a_cur)) or "base",
                       u_rc, (": " + u_err.strip()) if u_err.strip() else "",
                       " ".join(sorted(u_cur)) or "base",
                       " ".join(sorted(a_tables - u_tables)) or "-",
                       " ".join(sorted(u_tables - a_tables)) or "-",
                       "; ".join(log), seed, seed))

            if u_rc not in (0, 1):
                fail("the app exited %d (0 or 1 expected)" % u_rc)
            u_ok = u_rc == 0
            if not u_ok:
                if len(u_err.strip().splitlines()) != 1:
                    fail("a refusal must be one line on stderr")
                if u_tables != before_tables or u_cur != cur:
                    fail("the app's refusal changed the database")
            if diff:
                stats["documented"] += 1
                stats["by_difference"][diff] = stats["by_difference"].get(diff, 0) + 1
                if u_ok:
                    fail("%s: the app must refuse (%s)" % (diff, DIFFERENCES[diff]))
                if diff == "D1" and ("current revisions" not in u_err or not re.search(
                        r"'app db downgrade \w+-\d+'", u_err)):
                    fail("D1: the refusal must name the current revisions "
                         "and a REV-N command")
                if diff == "D1" and not any("multiple heads is ambiguous" in w
                                            for w in a_warn):
                    fail("D1: Alembic no longer warns; update DIFFERENCES")
                if diff == "D2" and "bad relative target '%s'" % target not in u_err:
                    fail("D2: the refusal must say 'bad relative target'")
                if diff == "D3" and "goes past base" not in u_err:
                    fail("D3: the refusal must say 'goes past base'")
                first = (a_ok, a_tables, a_cur)

                def restore():
                    al.conn.close()
                    shutil.copyfile(saved, al.path)
                    al.conn = al.connect()
                restore()
                if alembic_as:
                    b_ok, b_msg, _ = al.run(verb, alembic_as)
                    again = (b_ok, tables(al.path), al.current())
                    restore()
                    if again != first:
                        fail("%s: Alembic no longer treats '%s' as '%s' "
                             "(%s, then %s); update DIFFERENCES"
                             % (diff, target, alembic_as, a_msg or "ok",
                                b_msg or "ok"))
                os.unlink(saved)
                a_tables, a_cur = tables(al.path), al.current()
                if a_tables != before_tables or a_cur != cur:
                    fail("%s: Alembic's database was not put back" % diff)
                if verbose:
                    print("  %3d %-10s %-22s documented %s: the app refused, "
                          "alembic %s" % (step, verb, target, diff,
                                          "ran it" if a_ok else "refused"))
                continue
            if a_ok != u_ok:
                fail("one side refused, the other did not")
            if not u_ok:
                stats["refused"] += 1
            outcome = "ok" if u_ok else "refused (%s)" % a_msg.split(":")[0]
            m = re.fullmatch(r"\+(\d+)", target)
            if u_ok and verb == "upgrade" and m and \
                    len(u_tables - before_tables) > int(m.group(1)):
                outcome = "ok, through a merge: more than N applied"
            key = (kind(verb, target), outcome)
            stats["kinds"][key] = stats["kinds"].get(key, 0) + 1
            if a_tables != u_tables:
                fail("the tables differ")
            if a_cur != u_cur:
                fail("current differs")
            # --sql from the state before walks the same way (single current)
            if len(cur) <= 1 and (verb == "upgrade" or cur) and rng.random() < 0.2:
                stats["offline"] += 1
                frm = next(iter(cur)) if cur else "base"
                plan, msg = us.offline(verb, frm, target)
                if (plan is None) != (not u_ok):
                    fail("--sql %s:%s %s but the live command %s"
                         % (frm, target, "refused (%s)" % msg if plan is None
                            else "succeeded", "refused" if not u_ok else "succeeded"))
                if plan is not None:
                    moved = (u_tables - before_tables) | (before_tables - u_tables)
                    if set(plan) != moved or len(plan) != len(moved):
                        fail("--sql %s:%s runs %s, the live command changed %s"
                             % (frm, target, " ".join(plan) or "nothing",
                                " ".join(sorted(moved)) or "nothing"))
            if verbose:
                print("  %3d %-10s %-22s %s -> %s" % (
                    step, verb, target, "ok" if u_ok else "refused",
                    " ".join(sorted(u_cur)) or "base"))
        final = us.current_cmd()
        if final != al.current():
            raise Mismatch("seed %d, at the end: 'app db current' prints %s, "
                           "Alembic's current is %s\n  reproduce: make "
                           "graph-diff SEEDS=%d" % (
                               seed, " ".join(sorted(final)) or "nothing",
                               " ".join(sorted(al.current())) or "base", seed))
    finally:
        al.close()
        if keep:
            print("seed %d: kept %s" % (seed, root))
        else:
            shutil.rmtree(root, ignore_errors=True)
    return stats


def parse_seeds(text):
    seeds = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            seeds.extend(range(int(a), int(b) + 1))
        elif part:
            seeds.append(int(part))
    return seeds


def one(job):
    seed, app, steps, verbose, keep = job
    try:
        return seed, run_seed(seed, app, steps, verbose, keep), None
    except Mismatch as e:
        return seed, None, str(e)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--app", default=os.environ.get("APP"),
                    help="the app binary (default: $APP)")
    ap.add_argument("--seeds", default="1-300", help="e.g. 1-300 or 7,12")
    ap.add_argument("--steps", type=int, default=16, help="steps per seed")
    ap.add_argument("-j", "--jobs", type=int, default=2,
                    help="seeds run in parallel (default 2)")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--summary", action="store_true",
                    help="count the steps by target shape and outcome")
    ap.add_argument("--keep", action="store_true",
                    help="keep each seed's directory")
    a = ap.parse_args()
    if not a.app:
        ap.error("--app or $APP must name the app binary")
    app = os.path.abspath(a.app)
    seeds = parse_seeds(a.seeds)
    t0 = time.monotonic()
    total = {"steps": 0, "refused": 0, "documented": 0, "offline": 0}
    kinds, by_difference = {}, {}
    failed = 0
    jobs = [(seed, app, a.steps, a.verbose, a.keep) for seed in seeds]
    if a.jobs > 1 and len(seeds) > 1 and not a.verbose:
        import multiprocessing
        with multiprocessing.Pool(a.jobs) as pool:
            results = list(pool.imap(one, jobs))
    else:
        results = []
        for job in jobs:
            if a.verbose:
                print("seed %d" % job[0])
            results.append(one(job))
    for seed, st, mismatch in results:
        if mismatch:
            failed += 1
            print("MISMATCH " + mismatch)
            continue
        for k in total:
            total[k] += st[k]
        for k, v in st["kinds"].items():
            kinds[k] = kinds.get(k, 0) + v
        for k, v in st["by_difference"].items():
            by_difference[k] = by_difference.get(k, 0) + v
    dt = time.monotonic() - t0
    if a.summary:
        for (k, outcome), v in sorted(kinds.items()):
            print("  %-22s %-40s %5d" % (k, outcome, v))
        for k in sorted(by_difference):
            print("  documented %s (%s): %d" % (k, DIFFERENCES[k], by_difference[k]))
    print("graph-diff: %d seeds, %d steps compared (%d refused by both, %d "
          "documented differences, %d --sql checks), %d mismatching seeds, "
          "%.1f s"
          % (len(seeds), total["steps"], total["refused"], total["documented"],
             total["offline"], failed, dt))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
