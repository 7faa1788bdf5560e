#ifndef SEATMETER_SHA256_ACCELERATED_H
#define SEATMETER_SHA256_ACCELERATED_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the x86 SHA extensions (with SSSE3 and SSE4.1), so that
/// seatmeter_sha256_blocks may be called; else 0 (and on other architectures).
int seatmeter_sha256_accelerated(void);

/// Applies the SHA-256 compression function (FIPS 180-4 §6.2.2) to `blocks` 64-byte blocks at `data`, updating the
/// eight working hash values H0…H7 in `state`, with the round constants K0…K63 in `k`. Only when
/// seatmeter_sha256_accelerated() returned 1.
void seatmeter_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks, const uint32_t k[64]);

#endif
