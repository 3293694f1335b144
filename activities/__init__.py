"""Every side effect of cancelflow: SMTP, PostgreSQL, notifications."""
