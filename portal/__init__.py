"""The merchant portal, the HTTP APIs and the inbound mail gateway: they signal or update cases."""
