/// Delays between sync cycles and between retries.
package enum PollTiming {
    /// `interval` ± `fraction` (default ±10%), uniformly, so that several accounts (and several SeatMeter
    /// installations polling one server) drift apart instead of polling in lockstep.
    package static func jittered(
        _ interval: Duration, fraction: Double = 0.1, using generator: inout some RandomNumberGenerator
    ) -> Duration {
        interval * jitterFactor(fraction: fraction, using: &generator)
    }

    /// A factor in `1 - fraction ... 1 + fraction` to multiply an interval by.
    package static func jitterFactor(fraction: Double = 0.1, using generator: inout some RandomNumberGenerator)
        -> Double
    {
        guard fraction > 0 else { return 1 }
        let fraction = min(fraction, 1)
        return Double.random(in: (1 - fraction)...(1 + fraction), using: &generator)
    }

    /// `interval` ± 10% from the system's random generator.
    package static func jittered(_ interval: Duration) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return jittered(interval, using: &generator)
    }

    /// Exponential backoff after `failures` consecutive failures (1, 2, ...): `base`, `2 × base`, `4 × base`...,
    /// never more than `cap`.
    package static func backoff(failures: Int, base: Duration, cap: Duration) -> Duration {
        guard failures > 0 else { return .zero }
        var delay = base
        for _ in 1..<min(failures, 40) {
            delay *= 2
            if delay >= cap { return cap }
        }
        return min(delay, cap)
    }
}

extension Duration {
    /// Seconds as a `Double` (for log lines and `Date` arithmetic).
    package var timeInterval: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
