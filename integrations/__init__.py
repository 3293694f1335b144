"""I/O clients for merchant integrations (webhook signing and sending), apart from activities."""
