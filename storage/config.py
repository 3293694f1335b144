"""Configuration the stores take (composed into workers.settings.Settings)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ArchiveSettings(BaseModel):
    """The archive's own retention and how often the archiving schedule runs."""

    retention_years: int = Field(default=10, ge=1, le=100)
    every_minutes: int = Field(default=15, ge=1, le=24 * 60)
    batch_size: int = Field(default=100, ge=1, le=1000)
