"""The ops console: the triage inbox, case pages, every ops act and the merchant directory in a
browser, behind the company's OpenID Connect sign-in (docs/ops-console.md)."""
