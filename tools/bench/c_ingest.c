/*
 * The baseline for Kiln's ingest benchmark: a plain C loop of batched prepared inserts into the
 * historian's own schema (the file is created by Kiln, so the tables, the WITHOUT ROWID key and
 * the pragmas are the same), with the same generated data and the same commit size.
 *
 * Build: cc -O2 -o c_ingest c_ingest.c -lsqlite3
 * Usage: c_ingest DB TAGS POINTS BATCH_ROWS START_US PERIOD_US
 * Prints: c_ingest_points N, c_ingest_seconds S, c_ingest_points_per_s R
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void die(sqlite3 *db, const char *what) {
    fprintf(stderr, "c_ingest: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
    exit(1);
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xorshift64*, as Kiln's ThermalBank uses. */
static uint64_t rng_state = 7;
static uint64_t rng_next(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: c_ingest DB TAGS POINTS BATCH_ROWS START_US PERIOD_US\n");
        return 2;
    }
    const char *path = argv[1];
    long tags = atol(argv[2]);
    long points = atol(argv[3]);
    long batch = atol(argv[4]);
    int64_t start = atoll(argv[5]);
    int64_t period = atoll(argv[6]);

    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) die(db, "open");
    const char *pragmas =
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32768;"
        "PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 4096; PRAGMA busy_timeout = 5000;";
    if (sqlite3_exec(db, pragmas, NULL, NULL, NULL) != SQLITE_OK) die(db, "pragmas");

    /* The tag ids Kiln registered, in order. */
    int64_t *ids = malloc(sizeof(int64_t) * (size_t)tags);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, "SELECT id FROM tags WHERE device = 'bench' ORDER BY id", -1, &q, NULL) != SQLITE_OK)
        die(db, "select tags");
    long n = 0;
    while (sqlite3_step(q) == SQLITE_ROW && n < tags) ids[n++] = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    if (n != tags) { fprintf(stderr, "c_ingest: expected %ld bench tags, found %ld\n", tags, n); return 1; }

    double *levels = malloc(sizeof(double) * (size_t)tags);
    double *targets = malloc(sizeof(double) * (size_t)tags);
    for (long i = 0; i < tags; i++) {
        levels[i] = 20 + (double)(i % 50);
        targets[i] = 60 + (double)(i % 120);
    }

    sqlite3_stmt *ins = NULL;
    if (sqlite3_prepare_v3(db, "INSERT OR REPLACE INTO samples (tag, time, value, raw, status) VALUES (?1, ?2, ?3, ?4, ?5)",
                           -1, SQLITE_PREPARE_PERSISTENT, &ins, NULL) != SQLITE_OK)
        die(db, "prepare");

    double began = now_seconds();
    long written = 0, in_tx = 0;
    int64_t tick = 0;
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) die(db, "begin");
    while (written < points) {
        int64_t t = start + tick * period;
        long count = tags < points - written ? tags : points - written;
        for (long i = 0; i < count; i++) {
            levels[i] += (targets[i] - levels[i]) * 0.01;
            double noise = (double)((int64_t)(rng_next() >> 40) - (1 << 23)) * (1.0 / 8388608.0) * 0.2;
            double v = (double)(float)(levels[i] + noise);
            sqlite3_bind_int64(ins, 1, ids[i]);
            sqlite3_bind_int64(ins, 2, t);
            sqlite3_bind_double(ins, 3, v);
            sqlite3_bind_double(ins, 4, v);
            sqlite3_bind_int64(ins, 5, 0);
            if (sqlite3_step(ins) != SQLITE_DONE) die(db, "insert");
            sqlite3_reset(ins);
            if (++in_tx >= batch) {
                if (sqlite3_exec(db, "COMMIT; BEGIN", NULL, NULL, NULL) != SQLITE_OK) die(db, "commit");
                in_tx = 0;
            }
        }
        written += count;
        tick++;
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) die(db, "commit");
    double seconds = now_seconds() - began;
    sqlite3_finalize(ins);
    sqlite3_close(db);
    printf("c_ingest_points %ld\n", written);
    printf("c_ingest_seconds %.3f\n", seconds);
    printf("c_ingest_points_per_s %.0f\n", written / seconds);
    return 0;
}
