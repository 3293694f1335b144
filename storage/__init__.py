"""PostgreSQL stores: the merchant directory, the email outbox, API keys, and the migrations."""
