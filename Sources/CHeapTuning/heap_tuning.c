// Heap settings for the one-shot commands that read many messages into memory: `seatmeter report`, `users` and
// `explain`.
//
// glibc keeps up to 64 MB of freed memory at the top of each heap instead of returning it to the system, and grows
// heaps in steps of that size (M_TOP_PAD; it also fixes the mmap threshold at its default). A report over a million
// messages frees and allocates hundreds of megabytes in turn, and memory returned and asked for again costs a page
// fault per 4 KB. Measured on the 1M-message bench ledger, `seatmeter report --format json`: 100,900 -> 80,000 page
// faults, 0.80-1.10 s -> 0.71-0.84 s.
//
// The setting must be made before the first thread allocates (a setting made later, from the command's code, left
// the faults as they were), hence a constructor that runs before main and reads the subcommand from argv.
// Not for `run` (a long-running daemon should give back what it freed) nor `sync` (small, flat peak memory).
#include <malloc.h>
#include <string.h>

#include "heap_tuning.h"

static int tuned = 0;

__attribute__((constructor)) static void seatmeter_tune_heap(int argc, char **argv, char **envp) {
    (void)envp;
    if (argc < 2 || argv == 0 || argv[1] == 0) return;
    const char *command = argv[1];
    if (strcmp(command, "report") == 0 || strcmp(command, "users") == 0 || strcmp(command, "explain") == 0) {
        tuned = mallopt(M_TOP_PAD, 64 << 20);
    }
}

int seatmeter_heap_tuned(void) { return tuned; }
