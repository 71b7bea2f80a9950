#include <sqlite3.h>

/* SQLITE_TRANSIENT is a macro cast of -1 to a function pointer; Swift cannot import it. */
static inline int tide_sqlite3_bind_text(sqlite3_stmt *stmt, int index, const char *text, int length) {
    return sqlite3_bind_text(stmt, index, text, length, SQLITE_TRANSIENT);
}

static inline int tide_sqlite3_bind_blob(sqlite3_stmt *stmt, int index, const void *data, int length) {
    return sqlite3_bind_blob(stmt, index, data, length, SQLITE_TRANSIENT);
}
