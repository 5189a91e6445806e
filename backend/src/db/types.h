/*
 * types.h - every column type once.
 *
 * DB_TYPE_MAP(X) holds one row per type of the model language:
 *
 *   X(ID, name, flags, bits, widens_to, aliases)
 *
 *   ID         the enum constant DB_TYPE_<ID>
 *   name       the word messages print for it ("VARCHAR")
 *   flags      DB_TYPEF_*: what validation, reflection, the diff and the
 *              JSON API ask
 *   bits       an integer type's width (16, 32, 64); 0 for the others
 *   widens_to  the types a column may change to keeping every value
 *              (DB_TYPE_BIT(...) | ...); a DB_TYPEF_LENGTH type also
 *              widens to itself with a length at least as large, a
 *              DB_TYPEF_PRECISION type to itself with at least as many
 *              digits on each side of the point, and an integer type to
 *              NUMERIC only with room for all its digits
 *   aliases    lower-case names a database reports for the type, as
 *              reflection reads them (DB_ALIASES(...)); for a
 *              DB_TYPEF_LENGTH type they are read as "alias(n)", for a
 *              DB_TYPEF_PRECISION type as "alias(p,s)"
 *
 * The SQL each dialect writes for a type is the dialect's (driver.h,
 * struct db_dialect's type_sql); a dialect that misses a type is a build
 * error (a switch over enum db_type without default) and a test failure.
 * A new type is one row here plus one rendering per dialect. Every
 * rendering must be among the row's aliases, so that a database created
 * from the models reflects back to the same types.
 */
#ifndef DB_TYPES_H
#define DB_TYPES_H

enum {
    DB_TYPEF_LENGTH = 1 << 0,    /* needs .length > 0: VARCHAR(n) */
    DB_TYPEF_INTEGER = 1 << 1,   /* whole numbers: may be autoincrement */
    DB_TYPEF_NUMBER = 1 << 2,    /* a quoted number default is a number */
    DB_TYPEF_BOOLEAN = 1 << 3,   /* defaults read as true/false */
    DB_TYPEF_TIME = 1 << 4,      /* a point in time: RFC 3339 in JSON */
    DB_TYPEF_PRECISION = 1 << 5, /* .precision (and .scale): exact
                                    decimals, a string in JSON */
    DB_TYPEF_DATE = 1 << 6,      /* a calendar day: "YYYY-MM-DD" */
    DB_TYPEF_UUID = 1 << 7,      /* a UUID: 36 characters of text */
    DB_TYPEF_JSON = 1 << 8,      /* a JSON document: embedded in JSON */
};

#define DB_ALIASES(...) ((const char *const[]){__VA_ARGS__, NULL})
#define DB_TYPE_BIT(id) (1u << DB_TYPE_##id)

#define DB_TYPE_MAP(X)                                                      \
    X(INTEGER, "INTEGER", DB_TYPEF_INTEGER | DB_TYPEF_NUMBER, 32,           \
      DB_TYPE_BIT(BIGINT) | DB_TYPE_BIT(REAL) | DB_TYPE_BIT(NUMERIC),       \
      DB_ALIASES("integer", "int", "int4"))                                 \
    X(TEXT, "TEXT", 0, 0, 0,                                                \
      DB_ALIASES("text", "varchar", "character varying"))                  \
    X(VARCHAR, "VARCHAR", DB_TYPEF_LENGTH, 0, DB_TYPE_BIT(TEXT),            \
      DB_ALIASES("varchar", "character varying", "nvarchar", "char",        \
                 "character"))                                              \
    X(BOOLEAN, "BOOLEAN", DB_TYPEF_BOOLEAN, 0, 0,                           \
      DB_ALIASES("boolean", "bool"))                                        \
    X(TIMESTAMP, "TIMESTAMP", DB_TYPEF_TIME, 0, 0,                          \
      DB_ALIASES("timestamp", "timestamptz", "timestamp with time zone",    \
                 "datetime"))                                               \
    X(REAL, "REAL", DB_TYPEF_NUMBER, 0, 0,                                  \
      DB_ALIASES("real", "double precision", "double", "float", "float8"))  \
    X(BLOB, "BLOB", 0, 0, 0, DB_ALIASES("blob", "bytea", ""))               \
    X(SMALLINT, "SMALLINT", DB_TYPEF_INTEGER | DB_TYPEF_NUMBER, 16,         \
      DB_TYPE_BIT(INTEGER) | DB_TYPE_BIT(BIGINT) | DB_TYPE_BIT(REAL) |      \
          DB_TYPE_BIT(NUMERIC),                                             \
      DB_ALIASES("smallint", "int2"))                                       \
    X(BIGINT, "BIGINT", DB_TYPEF_INTEGER | DB_TYPEF_NUMBER, 64,             \
      DB_TYPE_BIT(NUMERIC), DB_ALIASES("bigint", "int8"))                   \
    X(NUMERIC, "NUMERIC", DB_TYPEF_PRECISION | DB_TYPEF_NUMBER, 0, 0,       \
      DB_ALIASES("numeric", "decimal"))                                     \
    X(DATE, "DATE", DB_TYPEF_DATE, 0, DB_TYPE_BIT(TEXT),                    \
      DB_ALIASES("date", "date_text"))                                      \
    X(UUID, "UUID", DB_TYPEF_UUID, 0, DB_TYPE_BIT(TEXT),                    \
      DB_ALIASES("uuid", "uuid_text"))                                      \
    X(JSON, "JSON", DB_TYPEF_JSON, 0, DB_TYPE_BIT(TEXT),                    \
      DB_ALIASES("jsonb", "json", "json_text"))                             \
    X(TIMESTAMP_LOCAL, "TIMESTAMP WITHOUT TIME ZONE", DB_TYPEF_TIME, 0, 0,  \
      DB_ALIASES("timestamp without time zone"))

enum db_type {
    DB_TYPE_NONE_ = 0, /* a column without a type (refused by validation) */
#define DB_TYPE_ENUM_(id, name, flags, bits, widens, aliases) DB_TYPE_##id,
    DB_TYPE_MAP(DB_TYPE_ENUM_)
#undef DB_TYPE_ENUM_
    DB_TYPE_COUNT_     /* one past the last type */
};

/* DOUBLE PRECISION is REAL: REAL has always been the 8-byte float on
 * every database (SQLite's REAL, PostgreSQL's double precision). */
#define DB_TYPE_DOUBLE DB_TYPE_REAL

/* The largest NUMERIC precision (PostgreSQL's). */
#define DB_NUMERIC_PRECISION_MAX 1000

/* A type with its size: what a column's type is, whole. */
struct db_type_spec {
    enum db_type type;
    int length;      /* DB_TYPEF_LENGTH: VARCHAR(length) */
    int precision;   /* DB_TYPEF_PRECISION: NUMERIC(precision, scale);
                        0: NUMERIC with any number of digits */
    int scale;
};

/* Whether t is a type of the table. */
int db_type_valid(int t);

/* The type's name ("VARCHAR"), or "?" for an invalid one. */
const char *db_type_name(enum db_type t);

/* The type's DB_TYPEF_* flags (0 for an invalid one). */
unsigned db_type_flags(enum db_type t);

/* An integer type's width in bits (16, 32, 64); 0 for other types. */
int db_type_bits(enum db_type t);

/* Whether the two are the same type with the same size. */
int db_type_same(const struct db_type_spec *a, const struct db_type_spec *b);

/* Whether a column of type from may become type to keeping every value. */
int db_type_widens(const struct db_type_spec *from,
                   const struct db_type_spec *to);

/* The type a database reports as declared (lower-case, trimmed;
 * "varchar(20)", "numeric(10,2)"), by the aliases: 1 found (*out set), 0
 * not. */
int db_type_from_alias(struct db_type_spec *out, const char *declared);

#endif /* DB_TYPES_H */
