"""The asyncio drivers of the sans-io protocol cores (DLMS wrapper/HDLC, P1): read loop, framing, timeouts."""
