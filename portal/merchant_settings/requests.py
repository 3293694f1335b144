"""The signed-in merchant's open requests: listed, answered many at once, and round-tripped
through a spreadsheet."""

from __future__ import annotations

from fastapi import APIRouter

from domain.bulk_answers import MAX_UPLOAD_BYTES

router = APIRouter(prefix="/merchant/settings", include_in_schema=False)

UPLOAD_PATH = "/merchant/settings/requests/upload"
# The file, and the form's own few fields around it.
LARGER_BODIES = {UPLOAD_PATH: MAX_UPLOAD_BYTES + 64 * 1024}
