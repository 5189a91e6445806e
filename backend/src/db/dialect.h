/*
 * dialect.h - which SQL dialect a connection or a script speaks.
 *
 * Small on purpose: render, revision and diff name a dialect without
 * seeing the driver interface. What a dialect does (its SQL verbs) is
 * struct db_dialect_ops in driver.h (enum and struct tags share one namespace in C).
 */
#ifndef DB_DIALECT_H
#define DB_DIALECT_H

enum db_dialect {
    DB_DIALECT_SQLITE = 1,
    DB_DIALECT_POSTGRESQL = 2,
};

/* How a dialect's client splits a script into statements: psql's rules or
 * the sqlite3 shell's. */
struct db_split_rules {
    int psql_meta;         /* a line starting with '\\' is a psql meta-command */
    int nested_comments;   /* block comments nest */
    int e_strings;         /* E'...' strings take backslash escapes */
    int dollar_quotes;     /* $tag$ ... $tag$ */
    int paren_groups;      /* ';' inside parentheses does not end a statement */
    int bracket_idents;    /* [ident] and `ident` quote identifiers */
};

/* The splitting rules of dialect d (a dialect without any: none set). */
const struct db_split_rules *db_dialect_split_rules(enum db_dialect d);

/* "sqlite" / "postgresql"; "?" for an unknown value. */
const char *db_dialect_name(enum db_dialect d);

#endif /* DB_DIALECT_H */
