/// SeatMeter's version: `seatmeter --version`, and the daemon's start line in the journal.
package enum SeatMeterVersion {
    package static let current = "0.3.0"
}
