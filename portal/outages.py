"""Errors that mean PostgreSQL cannot be reached right now (down, restarting, refusing).

The portal answers them with 503 and Retry-After, as it does when Temporal is unreachable:
the request was fine and will work again once the database is back.
"""

from __future__ import annotations

import asyncpg
import asyncpg.exceptions

DATABASE_OUTAGES: tuple[type[Exception], ...] = (
    # Refused or dropped connections; TimeoutError (an OSError) when connecting hangs.
    OSError,
    # The server closed the connection, or the pool's connection is gone.
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    # Shutting down, starting up, or out of connection slots.
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
)
