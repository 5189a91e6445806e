/*
 * types.h - every column type once.
 *
 * DB_TYPE_MAP(X) holds one row per type of the model language:
 *
 *   X(ID, name, flags, widens_to, aliases)
 *
 *   ID         the enum constant DB_TYPE_<ID>
 *   name       the word messages print for it ("VARCHAR")
 *   flags      DB_TYPEF_*: what validation, reflection, the diff and the
 *              JSON API ask
 *   widens_to  the types a column may change to keeping every value
 *              (DB_TYPE_BIT(...) | ...); a DB_TYPEF_LENGTH type also
 *              widens to itself with a length at least as large
 *   aliases    lower-case names a database reports for the type, as
 *              reflection reads them (DB_ALIASES(...)); for a
 *              DB_TYPEF_LENGTH type they are read as "alias(n)"
 *
 * The SQL each dialect writes for a type is the dialect's (driver.h,
 * struct db_dialect's type_sql); a dialect that misses a type is a build
 * error (a switch over enum db_type without default) and a test failure.
 * A new type is one row here plus one rendering per dialect.
 */
#ifndef DB_TYPES_H
#define DB_TYPES_H

enum {
    DB_TYPEF_LENGTH = 1 << 0,   /* needs .length > 0: VARCHAR(n) */
    DB_TYPEF_INTEGER = 1 << 1,  /* whole numbers: may be autoincrement */
    DB_TYPEF_NUMBER = 1 << 2,   /* a quoted number default is a number */
    DB_TYPEF_BOOLEAN = 1 << 3,  /* defaults read as true/false */
    DB_TYPEF_TIME = 1 << 4,     /* a point in time: RFC 3339 in JSON */
};

#define DB_ALIASES(...) ((const char *const[]){__VA_ARGS__, NULL})
#define DB_TYPE_BIT(id) (1u << DB_TYPE_##id)

#define DB_TYPE_MAP(X)                                                      \
    X(INTEGER, "INTEGER", DB_TYPEF_INTEGER | DB_TYPEF_NUMBER,              \
      DB_TYPE_BIT(REAL),                                                    \
      DB_ALIASES("integer", "int", "bigint", "int8", "int4", "smallint"))   \
    X(TEXT, "TEXT", 0, 0,                                                   \
      DB_ALIASES("text", "varchar", "character varying"))                  \
    X(VARCHAR, "VARCHAR", DB_TYPEF_LENGTH, DB_TYPE_BIT(TEXT),               \
      DB_ALIASES("varchar", "character varying", "nvarchar", "char",        \
                 "character"))                                              \
    X(BOOLEAN, "BOOLEAN", DB_TYPEF_BOOLEAN, 0,                              \
      DB_ALIASES("boolean", "bool"))                                        \
    X(TIMESTAMP, "TIMESTAMP", DB_TYPEF_TIME, 0,                                         \
      DB_ALIASES("timestamp", "timestamptz", "timestamp with time zone",    \
                 "timestamp without time zone", "datetime"))               \
    X(REAL, "REAL", DB_TYPEF_NUMBER, 0,                                     \
      DB_ALIASES("real", "double precision", "double", "float", "float8"))  \
    X(BLOB, "BLOB", 0, 0, DB_ALIASES("blob", "bytea", ""))

enum db_type {
    DB_TYPE_NONE_ = 0, /* a column without a type (refused by validation) */
#define DB_TYPE_ENUM_(id, name, flags, widens, aliases) DB_TYPE_##id,
    DB_TYPE_MAP(DB_TYPE_ENUM_)
#undef DB_TYPE_ENUM_
    DB_TYPE_COUNT_     /* one past the last type */
};

/* Whether t is a type of the table. */
int db_type_valid(int t);

/* The type's name ("VARCHAR"), or "?" for an invalid one. */
const char *db_type_name(enum db_type t);

/* The type's DB_TYPEF_* flags (0 for an invalid one). */
unsigned db_type_flags(enum db_type t);

/* Whether a column of type from (length from_len) may become type to
 * (length to_len) keeping every value. */
int db_type_widens(enum db_type from, int from_len, enum db_type to,
                   int to_len);

/* The type a database reports as declared (lower-case, trimmed;
 * "varchar(20)"), by the aliases: 1 found (*type, *length set), 0 not. */
int db_type_from_alias(enum db_type *type, int *length, const char *declared);

#endif /* DB_TYPES_H */
