// SeatMeterDaemon
