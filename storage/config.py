"""Configuration the stores take (composed into workers.settings.Settings)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field


class ArchiveSettings(BaseModel):
    """The archive's own retention and how often the archiving schedule runs."""

    retention_years: int = Field(default=10, ge=1, le=100)
    every_minutes: int = Field(default=15, ge=1, le=24 * 60)
    batch_size: int = Field(default=100, ge=1, le=1000)


class ErasureSettings(BaseModel):
    """Automatic erasure (CANCELFLOW_ERASURE__*): a closed case's personal data is erased
    after_days days after it closed, by a Temporal Schedule every every_minutes."""

    after_days: int = Field(default=90, ge=1, le=3660)
    every_minutes: int = Field(default=60, ge=1, le=24 * 60)
    batch_size: int = Field(default=200, ge=1, le=1000)


class CaseListSettings(BaseModel):
    """The merchants' lists' read model (CANCELFLOW_CASE_LIST__*): every every_seconds a
    worker reads the cases that changed; every full_every_minutes it compares every one."""

    every_seconds: float = Field(default=1.0, gt=0, le=300)
    full_every_minutes: int = Field(default=10, ge=1, le=24 * 60)

    @property
    def full_every(self) -> timedelta:
        return timedelta(minutes=self.full_every_minutes)
