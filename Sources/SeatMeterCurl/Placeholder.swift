// SeatMeterCurl
