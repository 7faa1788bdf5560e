#ifndef SEATMETER_HEAP_TUNING_H
#define SEATMETER_HEAP_TUNING_H

/// 1 when this process's heap was tuned for a one-shot read of many messages (see heap_tuning.c), else 0.
int seatmeter_heap_tuned(void);

#endif
