"""JSON APIs under /api/v1: intake for our systems, and merchant integrations."""
