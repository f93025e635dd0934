"""The `seatledger` command line: history, log, replay, queries, bus events, demo, tokens."""
