"""The `seatledger` command line: history, log, rebuild, queries, bus events, demo, tokens."""
