"""Reply by email: the SMTP gateway, the store of replies received, and the signaller."""
