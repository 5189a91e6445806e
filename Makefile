# The two-phase backend scaffold.
#   make            build build/app (installs missing Debian packages first)
#   make run        start the app on config/app.ini
#   make check      every test: unit (plain and sanitized), CLI, SQLite and PostgreSQL
# BUILD=dir puts every output under dir (default build).

BUILD    ?= build
CC       ?= gcc
PREFIX   ?= /usr/local
DESTDIR  ?=
CONFIG   ?= config/app.ini
APP_ARGS ?=

PKGS      = sqlite3 libpq inih liburiparser libcrypto jansson libmicrohttpd
TEST_PKGS = check

# Recursive (=) so pkg-config runs after the dependency step has installed it.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
TEST_CFLAGS = $(shell pkg-config --cflags $(TEST_PKGS))
TEST_LIBS   = $(shell pkg-config --libs $(TEST_PKGS))

# snprintf into fixed buffers truncates on purpose (messages, names).
WARN     = -Wall -Wextra -Werror -Wno-format-truncation
FEATURES = -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE
HAVE_PG  = $(if $(wildcard backend/src/db/drivers/postgres.c),-DDB_WITH_POSTGRESQL)
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 $(WARN) $(FEATURES) $(HAVE_PG) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP
SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=all

SRC      = $(shell find backend/src -name '*.c' | sort)
LIB_SRC  = $(filter-out backend/src/main.c,$(SRC))
UNIT_SRC = $(sort $(wildcard tests/unit/*.c))
HEADERS  = $(shell find backend/src -name '*.h' | sort)

OBJ      = $(SRC:%.c=$(BUILD)/obj/%.o)
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_OBJ = $(UNIT_SRC:%.c=$(BUILD)/obj/%.o)
SAN_OBJ      = $(SRC:%.c=$(BUILD)/san/%.o)
SAN_LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/san/%.o)
SAN_UNIT_OBJ = $(UNIT_SRC:%.c=$(BUILD)/san/%.o)
DEPS_STAMP = $(BUILD)/.deps-installed
SUITES_H   = $(BUILD)/gen/suites.h

.PHONY: all check test run db-reset deploy-clean clean install headers unit \
        san deps bench

all: $(BUILD)/app

deps: $(DEPS_STAMP)

$(DEPS_STAMP): scripts/install-deps.sh
	@scripts/install-deps.sh
	@mkdir -p $(@D) && touch $@

$(BUILD)/app: $(OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $(OBJ) $(PKG_LIBS)

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
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(TEST_LIBS) $(PKG_LIBS)

# The same program and tests under AddressSanitizer and UBSan.
$(BUILD)/san/%.o: %.c $(SUITES_H) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $(TEST_CFLAGS) -I$(BUILD)/gen -Ibackend/src -c -o $@ $<

$(BUILD)/san/app: $(SAN_OBJ)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/san/unit: $(SAN_UNIT_OBJ) $(SAN_LIB_OBJ)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -o $@ $^ $(TEST_LIBS) $(PKG_LIBS)

# Every header compiles on its own, pedantic.
headers: $(DEPS_STAMP)
	@for h in $(HEADERS); do \
	    printf '#include "%s"\n' "$$PWD/$$h" | \
	    $(CC) -std=c11 $(WARN) -pedantic $(FEATURES) $(PKG_CFLAGS) \
	        -fsyntax-only -x c - || { echo "header $$h does not stand alone"; exit 1; }; \
	done; echo "headers: $(words $(HEADERS)) compile alone"

unit: $(BUILD)/unit
san: $(BUILD)/san/app $(BUILD)/san/unit

check: all headers $(BUILD)/unit $(BUILD)/san/app $(BUILD)/san/unit
	@BUILD=$(BUILD) tests/check.sh

test: check

run: all
	$(BUILD)/app --config $(CONFIG) serve $(APP_ARGS)

db-reset: all
	@BUILD=$(BUILD) CONFIG=$(CONFIG) YES=$(YES) scripts/reset_database.sh

deploy-clean: all
	@BUILD=$(BUILD) CONFIG=$(CONFIG) YES=$(YES) scripts/reset_database.sh
	$(BUILD)/app --config $(CONFIG) serve $(APP_ARGS)

bench: all
	@for s in scripts/bench/*.sh; do BUILD=$(BUILD) $$s || exit 1; done

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/app/config \
	    $(DESTDIR)$(PREFIX)/share/app/migrations/versions
	install -m 755 $(BUILD)/app $(DESTDIR)$(PREFIX)/bin/app
	install -m 644 config/*.ini $(DESTDIR)$(PREFIX)/share/app/config/
	install -m 644 migrations/script.sql.in $(DESTDIR)$(PREFIX)/share/app/migrations/
	for f in migrations/versions/*.sql; do [ -e "$$f" ] || continue; \
	    install -m 644 "$$f" $(DESTDIR)$(PREFIX)/share/app/migrations/versions/; done

clean:
	rm -rf $(BUILD)

-include $(OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(SAN_OBJ:.o=.d) $(SAN_UNIT_OBJ:.o=.d)
