// SeatMeterStore
