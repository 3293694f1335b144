"""Our payloads decoded into our own models, and what to say when they cannot be."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from pydantic import BaseModel
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.converter import DataConverter

from domain.text import reading_recorded_text

T = TypeVar("T")

UNREADABLE = "(encrypted: this process does not have the key; set CANCELFLOW_CODEC__KEYS)"


@dataclass(frozen=True)
class Unreadable:
    """The payload is encrypted and this process does not hold its key."""

    problem: str = UNREADABLE


@dataclass(frozen=True)
class Unrecognised:
    """A payload our models do not describe: written by older code, or by no code of ours."""

    raw: Any
    problem: str


Undecoded = Unreadable | Unrecognised


class PayloadDecoder:
    """Decodes through the client's data converter: its codec first (so encrypted histories
    read in clear with the right keys), then its payload converter into the model given.

    Each distinct payload is decoded once per decoder (one reading of a case): a run's
    continue-as-new input is the next run's start input, and it carries the case's whole
    state so far, the costliest payload of a long case. Decoding is a pure function of the
    bytes and the model, so a repeat is the same value (read only by the handlers).
    """

    def __init__(self, converter: DataConverter) -> None:
        self._converter = converter
        self._decoded: dict[tuple[type[Any], bytes], Any] = {}

    @property
    def converter(self) -> DataConverter:
        return self._converter

    async def first(self, payloads: Sequence[Payload], model: type[T]) -> T | Undecoded:
        """The first payload as a `model`; a call's first argument is all our code ever sends."""
        if not payloads:
            return Unrecognised(None, "no payload")
        key = (model, payloads[0].SerializeToString(deterministic=True))
        if key in self._decoded:
            return cast(T | Undecoded, self._decoded[key])
        value = await self._decode(payloads[0], model)
        self._decoded[key] = value
        return value

    async def _decode(self, payload: Payload, model: type[T]) -> T | Undecoded:
        clear = [payload]
        codec = self._converter.payload_codec
        if codec is not None:
            try:
                clear = await codec.decode(clear)
            except Exception:  # noqa: BLE001 - a missing key must not hide the timeline
                return Unreadable()
        converter = self._converter.payload_converter
        try:
            with reading_recorded_text():
                return cast(T, converter.from_payloads(clear, [model])[0])
        except Exception as err:  # noqa: BLE001 - an old shape must not hide the timeline
            try:
                raw = converter.from_payloads(clear)[0]
            except Exception:  # noqa: BLE001
                raw = None
            return Unrecognised(raw, f"{type(err).__name__}: {_first_line(str(err))}")

    async def failure_message(self, failure: Failure) -> str:
        try:
            error = await self._converter.decode_failure(failure)
        except Exception:  # noqa: BLE001
            return failure.message or UNREADABLE
        cause = error.__cause__
        text = str(error)
        return f"{text}: {cause}" if cause is not None and str(cause) not in text else text


def reads_as(ours: type[BaseModel], theirs: type[BaseModel], *names: str) -> None:
    """Refuses (at import) a reading model whose fields differ from the model it reads:
    the same annotations, defaults and constraints, so both refuse the same values."""
    for name in names:
        mine, real = ours.model_fields[name], theirs.model_fields[name]
        if (mine.annotation, mine.default, mine.metadata) != (
            real.annotation,
            real.default,
            real.metadata,
        ):
            raise TypeError(f"{ours.__name__}.{name} no longer reads {theirs.__name__}.{name}")


def _first_line(text: str) -> str:
    return text.splitlines()[0] if text else text
