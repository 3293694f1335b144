"""A case's audit log: its workflow history, read as who did what when."""

from ops.audit.entry import Timeline, TimelineEntry
from ops.audit.events import read_runs, start_reading
from ops.audit.run import CaseReading
from ops.audit.timeline import (
    CaseHistoryNotFound,
    case_timeline,
    render_text,
    timeline_of_runs,
)

__all__ = [
    "CaseHistoryNotFound",
    "CaseReading",
    "Timeline",
    "TimelineEntry",
    "case_timeline",
    "read_runs",
    "render_text",
    "start_reading",
    "timeline_of_runs",
]
