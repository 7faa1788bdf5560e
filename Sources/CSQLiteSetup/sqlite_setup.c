// Process-wide SQLite settings, in C because sqlite3_config is variadic (Swift cannot call it).
//
// SQLITE_CONFIG_MEMSTATUS off: SQLite no longer counts every allocation under a global mutex. Nothing in SeatMeter
// reads those statistics (sqlite3_memory_used, sqlite3_status, the soft heap limit). Measured with
// `seatmeter-bench ingest` (the sync's writer alone, 100,000 messages, medians of 3, three interleaved pairs):
// 0.575-0.604 s -> 0.522-0.528 s, CPU 0.52-0.55 s -> 0.46-0.48 s.
#include <sqlite3.h>

#include "sqlite_setup.h"

int seatmeter_sqlite_setup(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int seatmeter_sqlite_keeps_memory_statistics(void) {
    // With statistics off, the current value of SQLITE_STATUS_MALLOC_COUNT stays 0 while connections are open.
    sqlite3_int64 current = 0, highwater = 0;
    if (sqlite3_status64(SQLITE_STATUS_MALLOC_COUNT, &current, &highwater, 0) != SQLITE_OK) return 1;
    return current != 0;
}

int seatmeter_sqlite_skip_checkpoint_on_close(void *db) {
    return sqlite3_db_config((sqlite3 *)db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}

int seatmeter_sqlite_skips_checkpoint_on_close(void *db) {
    int value = 0;
    if (sqlite3_db_config((sqlite3 *)db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, -1, &value) != SQLITE_OK) return 0;
    return value;
}
