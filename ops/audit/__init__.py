"""A case's audit log: its workflow history, read as who did what when."""

from ops.audit.entry import Timeline, TimelineEntry
from ops.audit.timeline import (
    CaseHistoryNotFound,
    case_timeline,
    render_text,
    timeline_of_runs,
)

__all__ = [
    "CaseHistoryNotFound",
    "Timeline",
    "TimelineEntry",
    "case_timeline",
    "render_text",
    "timeline_of_runs",
]
