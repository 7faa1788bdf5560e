#ifndef SEATMETER_SQLITE_SETUP_H
#define SEATMETER_SQLITE_SETUP_H

/// Process-wide SQLite settings (sqlite_setup.c). Call before the first connection opens; returns SQLITE_OK, or
/// SQLITE_MISUSE when SQLite was already initialized (the settings then stay as they were).
int seatmeter_sqlite_setup(void);

/// 1 when SQLite keeps memory statistics (SQLITE_CONFIG_MEMSTATUS), else 0.
int seatmeter_sqlite_keeps_memory_statistics(void);

/// SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE on for the connection `db` (a `sqlite3 *`): closing it leaves the WAL as it is,
/// for a later checkpoint. Returns SQLITE_OK or an error code.
int seatmeter_sqlite_skip_checkpoint_on_close(void *db);

/// 1 when the connection `db` (a `sqlite3 *`) leaves the WAL as it is when it closes, else 0.
int seatmeter_sqlite_skips_checkpoint_on_close(void *db);

#endif
