"""Merchants' self-service settings: sign-in by emailed link, settings, webhooks, API keys,
open requests. Plain HTML forms (no JavaScript needed), English and Swedish."""
