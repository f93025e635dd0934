"""seatledger's LocalStack Lambda runtime executor: functions as host processes (see executor)."""
