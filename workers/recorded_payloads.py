"""The payload converter every process uses: pydantic, reading recorded text as recorded.

Free text from outside is refused at the edges when it holds control, invisible or
text-direction characters (domain/text.py), and the same rule sits on the models. A case
recorded before that rule may still hold such a character in its history; decoding it with
the rule would fail the case's next replay (a stuck workflow task) and every query of it.
What a payload holds was checked when it was made, so decoding reads it leniently, as the
audit does; the edges stay strict, because they build models from outside input directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticPayloadConverter
from temporalio.converter import DataConverter

from domain.text import reading_recorded_text


class RecordedPayloadConverter(PydanticPayloadConverter):
    def from_payloads(
        self, payloads: Sequence[Payload], type_hints: list[type] | None = None
    ) -> list[Any]:
        with reading_recorded_text():
            return super().from_payloads(payloads, type_hints)


recorded_data_converter = DataConverter(payload_converter_class=RecordedPayloadConverter)
