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

/* "sqlite" / "postgresql"; "?" for an unknown value. */
const char *db_dialect_name(enum db_dialect d);

#endif /* DB_DIALECT_H */
