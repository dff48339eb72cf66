#ifndef KILN_CSQLITE_SHIM_H
#define KILN_CSQLITE_SHIM_H

#include <errno.h>
#include <sqlite3.h>

// SQLITE_TRANSIENT is a function-pointer cast macro that Swift cannot import: bind copies
// through these wrappers instead.
static inline int kiln_sqlite3_bind_text_transient(sqlite3_stmt *stmt, int index, const char *text, int length) {
    return sqlite3_bind_text(stmt, index, text, length, SQLITE_TRANSIENT);
}

static inline int kiln_sqlite3_bind_blob_transient(sqlite3_stmt *stmt, int index, const void *bytes, int length) {
    return sqlite3_bind_blob(stmt, index, bytes, length, SQLITE_TRANSIENT);
}

// sqlite3_config is variadic, which Swift cannot call. Memory statistics take a global mutex on
// every allocation; the historian does not read them. Must run before SQLite initializes
// (SQLITE_MISUSE afterwards, harmlessly).
static inline int kiln_sqlite3_disable_memstatus(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

static inline int kiln_errno(void) { return errno; }

#endif
