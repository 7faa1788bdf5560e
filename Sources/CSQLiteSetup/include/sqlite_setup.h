#ifndef SEATMETER_SQLITE_SETUP_H
#define SEATMETER_SQLITE_SETUP_H

/// Process-wide SQLite settings (sqlite_setup.c). Call before the first connection opens; returns SQLITE_OK, or
/// SQLITE_MISUSE when SQLite was already initialized (the settings then stay as they were).
int seatmeter_sqlite_setup(void);

/// 1 when SQLite keeps memory statistics (SQLITE_CONFIG_MEMSTATUS), else 0.
int seatmeter_sqlite_keeps_memory_statistics(void);

#endif
