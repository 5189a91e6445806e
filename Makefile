# The two-phase backend scaffold.
#   make            build build/app (installs missing Debian packages first)
#   make run        start the app on config/app.ini
#   make check      every test: unit (plain and sanitized), CLI, SQLite and PostgreSQL,
#                   and a replay of every fuzz corpus under the sanitizers
#   make fuzz       run each libFuzzer target for FUZZ_SECONDS (default 60)
# BUILD=dir puts every output under dir (default build).

BUILD    ?= build
CC       ?= gcc
PREFIX   ?= /usr/local
DESTDIR  ?=
# make install: the systemd units and the paths they name
SYSCONFDIR  ?= /etc
UNITDIR     ?= $(PREFIX)/lib/systemd/system
DBDIR       ?= /var/lib/app
BACKUPDIR   ?= /var/backups/app
APP_USER    ?= app
CONFIG   ?= config/app.ini
APP_ARGS ?=

# The binary links only what every command needs; libpq and libmicrohttpd
# (dozens of shared libraries, milliseconds of start-up) live in modules
# loaded on first use: modules/postgresql.so and modules/http.so. libsodium
# (passwords and tokens) goes with the HTTP server, which `app users` loads.
# libpg_query (PostgreSQL's parser, for `app db lint`) is modules/pgparse.so;
# Debian's libpg-query-dev has no pkg-config file.
CORE_PKGS = sqlite3 inih liburiparser nettle jansson
# SQLite, inih and Jansson are linked in from their Debian static archives
# (the same builds as the shared libraries): fewer shared objects for every
# command to map and relocate at start-up, and fewer for a module's symbols
# to be looked up in when modules/postgresql.so loads libpq. Nettle stays
# shared: GnuTLS, under libpq and libmicrohttpd, loads it too.
STATIC_PKGS = sqlite3 inih jansson
PG_PKGS   = libpq
HTTP_PKGS = libmicrohttpd libsodium libsystemd
PKGS      = $(CORE_PKGS) $(PG_PKGS) $(HTTP_PKGS)
TEST_PKGS = check

# Recursive (=) so pkg-config runs after the dependency step has installed it.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
CORE_LIBS  = -Wl,-Bstatic $(shell pkg-config --libs $(STATIC_PKGS)) -Wl,-Bdynamic \
             $(shell pkg-config --libs $(filter-out $(STATIC_PKGS),$(CORE_PKGS))) \
             -lm -ldl
PG_LIBS    = $(shell pkg-config --libs $(PG_PKGS))
HTTP_LIBS  = $(shell pkg-config --libs $(HTTP_PKGS))
PARSE_LIBS = -lpg_query -lprotobuf-c
PKG_LIBS   = $(CORE_LIBS) $(PG_LIBS) $(HTTP_LIBS) $(PARSE_LIBS)
TEST_CFLAGS = $(shell pkg-config --cflags $(TEST_PKGS))
TEST_LIBS   = $(shell pkg-config --libs $(TEST_PKGS))

# snprintf into fixed buffers truncates on purpose (messages, names).
WARN     = -Wall -Wextra -Werror -Wno-format-truncation
FEATURES = -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE
CFLAGS  ?= -O2 -g
# -fPIC: the same objects go into the binary, the modules and the tests.
ALL_CFLAGS = -std=c11 $(WARN) $(FEATURES) -fPIC $(CFLAGS) $(PKG_CFLAGS) -MMD -MP
SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=all

SRC      = $(shell find backend/src -name '*.c' | sort)
PG_SRC   = $(filter-out %_dialect.c,$(filter backend/src/db/drivers/postgres%.c,$(SRC)))
PARSE_SRC = backend/src/db/drivers/pgparse.c
HTTP_SRC = $(filter backend/src/http/%.c,$(SRC))
CORE_SRC = $(filter-out $(PG_SRC) $(PARSE_SRC) $(HTTP_SRC),$(SRC))
LIB_SRC  = $(filter-out backend/src/main.c,$(SRC))
UNIT_SRC = $(sort $(wildcard tests/unit/*.c))
HEADERS  = $(shell find backend/src -name '*.h' | sort)

OBJ      = $(SRC:%.c=$(BUILD)/obj/%.o)
CORE_OBJ = $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
PG_OBJ   = $(PG_SRC:%.c=$(BUILD)/obj/%.o)
PARSE_OBJ = $(PARSE_SRC:%.c=$(BUILD)/obj/%.o)
HTTP_OBJ = $(HTTP_SRC:%.c=$(BUILD)/obj/%.o)
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_OBJ = $(UNIT_SRC:%.c=$(BUILD)/obj/%.o)
SAN_OBJ      = $(SRC:%.c=$(BUILD)/san/%.o)
SAN_CORE_OBJ = $(CORE_SRC:%.c=$(BUILD)/san/%.o)
SAN_PG_OBJ   = $(PG_SRC:%.c=$(BUILD)/san/%.o)
SAN_PARSE_OBJ = $(PARSE_SRC:%.c=$(BUILD)/san/%.o)
SAN_HTTP_OBJ = $(HTTP_SRC:%.c=$(BUILD)/san/%.o)
SAN_LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/san/%.o)
MODULES      = $(BUILD)/modules/postgresql.so $(BUILD)/modules/http.so \
               $(BUILD)/modules/pgparse.so
SAN_MODULES  = $(BUILD)/san/modules/postgresql.so $(BUILD)/san/modules/http.so \
               $(BUILD)/san/modules/pgparse.so
SAN_UNIT_OBJ = $(UNIT_SRC:%.c=$(BUILD)/san/%.o)

# Fuzzing: one libFuzzer target per parser of outside input
# (tests/fuzz/fuzz_<name>.c), built with clang on the library's objects
# compiled with clang under build/fuzz/; the same targets linked with
# tests/fuzz/replay.c and the sanitized objects replay the corpora in
# make check.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SRC     = $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES   = $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRC))
FUZZ_BIN     = $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)
FUZZ_LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/fuzz/obj/%.o)
FUZZ_SAN     = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
               -fno-sanitize-recover=all
FUZZ_CFLAGS  = -std=c11 -Wall -Wextra -Werror $(FEATURES) -fPIC $(FUZZ_SAN) \
               -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -Ibackend/src -MMD -MP
REPLAY_BIN   = $(FUZZ_NAMES:%=$(BUILD)/san/fuzz/replay_%)
DEPS_STAMP = $(BUILD)/.deps-installed
SUITES_H   = $(BUILD)/gen/suites.h

.PHONY: all check test run db-reset deploy deploy-clean db-upgrade db-stamp \
        db-status migration clean install headers seams unit san deps bench \
        graph-diff fuzz fuzz-build replay

all: $(BUILD)/app $(MODULES)

deps: $(DEPS_STAMP)

$(DEPS_STAMP): scripts/install-deps.sh
	@scripts/install-deps.sh
	@mkdir -p $(@D) && touch $@

# -rdynamic: the modules call back into the binary's library.
$(BUILD)/app: $(CORE_OBJ)
	$(CC) $(ALL_CFLAGS) -rdynamic -o $@ $(CORE_OBJ) $(CORE_LIBS)

$(BUILD)/modules/postgresql.so: $(PG_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -shared -o $@ $^ $(PG_LIBS)

$(BUILD)/modules/http.so: $(HTTP_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -shared -o $@ $^ $(HTTP_LIBS)

$(BUILD)/modules/pgparse.so: $(PARSE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -shared -o $@ $^ $(PARSE_LIBS)

$(BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The Check runner lists every tests/unit/test_<module>.c's <module>_suite().
$(SUITES_H): $(UNIT_SRC)
	@mkdir -p $(@D)
	@for f in $(notdir $(basename $(filter tests/unit/test_%.c,$(UNIT_SRC)))); do \
	    echo "SUITE($${f#test_})"; done > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/tests/unit/%.o: tests/unit/%.c $(SUITES_H) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -I$(BUILD)/gen -Ibackend/src -c -o $@ $<

$(BUILD)/unit: $(UNIT_OBJ) $(LIB_OBJ)
	$(CC) $(ALL_CFLAGS) -rdynamic -o $@ $^ $(TEST_LIBS) $(PKG_LIBS)

# The same program and tests under AddressSanitizer and UBSan.
$(BUILD)/san/%.o: %.c $(SUITES_H) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(TEST_CFLAGS) -I$(BUILD)/gen -Ibackend/src -c -o $@ $<

$(BUILD)/san/app: $(SAN_CORE_OBJ)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -rdynamic -o $@ $^ $(CORE_LIBS)

$(BUILD)/san/modules/postgresql.so: $(SAN_PG_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -shared -o $@ $^ $(PG_LIBS)

$(BUILD)/san/modules/http.so: $(SAN_HTTP_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -shared -o $@ $^ $(HTTP_LIBS)

$(BUILD)/san/modules/pgparse.so: $(SAN_PARSE_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -shared -o $@ $^ $(PARSE_LIBS)

$(BUILD)/san/unit: $(SAN_UNIT_OBJ) $(SAN_LIB_OBJ)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -rdynamic -o $@ $^ $(TEST_LIBS) $(PKG_LIBS)

$(BUILD)/san/fuzz/replay_%: $(BUILD)/san/tests/fuzz/fuzz_%.o \
                            $(BUILD)/san/tests/fuzz/replay.o $(SAN_LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -rdynamic -o $@ $^ $(PKG_LIBS)

$(BUILD)/fuzz/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -rdynamic -o $@ $^ $(PKG_LIBS)

# (kept: make would otherwise delete them as intermediate files)
.SECONDARY: $(FUZZ_LIB_OBJ) $(FUZZ_SRC:%.c=$(BUILD)/fuzz/obj/%.o) \
            $(FUZZ_SRC:%.c=$(BUILD)/san/%.o) $(BUILD)/san/tests/fuzz/replay.o

fuzz-build: $(FUZZ_BIN)
replay: $(REPLAY_BIN)

# New inputs found go to $(BUILD)/fuzz/new/<name>, crashes to
# $(BUILD)/fuzz/artifacts/<name>; the corpora in the repository only grow
# by hand (see README, "Fuzzing").
fuzz: $(FUZZ_BIN)
	@BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZ_NAMES)

# Every header compiles on its own, pedantic.
headers: $(DEPS_STAMP)
	@for h in $(HEADERS); do \
	    printf '#include "%s"\n' "$$PWD/$$h" | \
	    $(CC) -std=c11 $(WARN) -pedantic $(FEATURES) $(PKG_CFLAGS) \
	        -fsyntax-only -x c - || { echo "header $$h does not stand alone"; exit 1; }; \
	done; echo "headers: $(words $(HEADERS)) compile alone"

unit: $(BUILD)/unit
san: $(BUILD)/san/app $(SAN_MODULES) $(BUILD)/san/unit

# The dialect seam: no database named or spoken outside db/drivers/.
seams:
	@tests/seams.sh

check: all headers seams $(BUILD)/unit san replay fuzz-build
	@BUILD=$(BUILD) tests/check.sh

test: check

# The revision graph against Alembic on a range of seeds (make check runs
# 1-300): make graph-diff SEEDS=1-5000
SEEDS ?= 1-1000
graph-diff: all
	@APP=$(BUILD)/app SEEDS=$(SEEDS) tests/graph/run.sh --summary

run: all
	$(BUILD)/app --config $(CONFIG) serve $(APP_ARGS)

db-reset: all
	@BUILD=$(BUILD) CONFIG=$(CONFIG) YES=$(YES) scripts/reset_database.sh

# Build, back up, bring the schema up, restart and wait for /health.
deploy: all
	@BUILD=$(BUILD) CONFIG=$(CONFIG) scripts/deploy.sh

# Pre-user only: build, reset the configured database, restart.
deploy-clean: all
	@BUILD=$(BUILD) CONFIG=$(CONFIG) YES=$(YES) scripts/deploy.sh --clean

db-upgrade: all
	$(BUILD)/app --config $(CONFIG) db upgrade head

db-stamp: all
	$(BUILD)/app --config $(CONFIG) db stamp head

db-status: all
	$(BUILD)/app --config $(CONFIG) db status

# make migration m="add phone to users": an autogenerated revision.
migration: all
	@[ -n "$(m)" ] || { echo 'usage: make migration m="what changes"' >&2; exit 2; }
	$(BUILD)/app --config $(CONFIG) db revision --autogenerate -m "$(m)"

# The 1,000-table check benchmark's driver, on the library objects.
$(BUILD)/bench/check_bench: scripts/bench/check_bench.c $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ibackend/src -rdynamic -o $@ $^ $(PKG_LIBS)

bench: all
	@for s in scripts/bench/*.sh; do BUILD=$(BUILD) $$s || exit 1; done

# The units name the installed paths (PREFIX, SYSCONFDIR, DBDIR, ...),
# never DESTDIR, which only stages the files.
UNIT_SED = -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
           -e 's|@DBDIR@|$(DBDIR)|g' -e 's|@BACKUPDIR@|$(BACKUPDIR)|g' \
           -e 's|@USER@|$(APP_USER)|g'

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/app \
	    $(DESTDIR)$(PREFIX)/share/app/config \
	    $(DESTDIR)$(PREFIX)/share/app/migrations/versions \
	    $(DESTDIR)$(PREFIX)/share/doc/app $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/app $(DESTDIR)$(DBDIR) $(DESTDIR)$(BACKUPDIR)
	install -m 755 $(BUILD)/app $(DESTDIR)$(PREFIX)/bin/app
	install -m 644 $(MODULES) $(DESTDIR)$(PREFIX)/lib/app/
	install -m 644 config/*.ini $(DESTDIR)$(PREFIX)/share/app/config/
	install -m 644 README.md MIGRATION_STRATEGY.md $(DESTDIR)$(PREFIX)/share/doc/app/
	install -m 644 migrations/script.sql.in $(DESTDIR)$(PREFIX)/share/app/migrations/
	for f in migrations/versions/*.sql; do [ -e "$$f" ] || continue; \
	    install -m 644 "$$f" $(DESTDIR)$(PREFIX)/share/app/migrations/versions/; done
	sed $(UNIT_SED) -e 's|@UNIT@|app.service|g' -e 's|@DESCRIPTION@||g' \
	    -e 's|@RUNDIR@|app|g' config/systemd/app.service.in \
	    > $(DESTDIR)$(UNITDIR)/app.service
	sed $(UNIT_SED) -e 's|@UNIT@|app@.service|g' -e 's|@DESCRIPTION@| (%i)|g' \
	    -e 's|@RUNDIR@|app/%i|g' config/systemd/app.service.in \
	    > $(DESTDIR)$(UNITDIR)/app@.service
	chmod 644 $(DESTDIR)$(UNITDIR)/app.service $(DESTDIR)$(UNITDIR)/app@.service

clean:
	rm -rf $(BUILD)

-include $(OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(SAN_OBJ:.o=.d) $(SAN_UNIT_OBJ:.o=.d) \
         $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_SRC:%.c=$(BUILD)/fuzz/obj/%.d) \
         $(FUZZ_SRC:%.c=$(BUILD)/san/%.d) $(BUILD)/san/tests/fuzz/replay.d
