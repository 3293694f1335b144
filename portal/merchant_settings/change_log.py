"""The change log as sentences in the merchant's language: "anna@… added postal address to the
identifiers you need", never a JSON diff. Pure, so each kind of change is tested on its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain.merchant import NotifyBy
from portal.i18n import LANGUAGE_NAMES
from portal.merchant_settings.i18n import SettingsTranslator
from storage.merchant_changes import MerchantChange


@dataclass(frozen=True)
class ChangeLine:
    changed_at: datetime
    """On the merchant's clock."""
    sentences: list[str]


def change_lines(
    changes: list[MerchantChange], t: SettingsTranslator, timezone: str
) -> list[ChangeLine]:
    zone = ZoneInfo(timezone)
    return [
        ChangeLine(changed_at=c.changed_at.astimezone(zone), sentences=sentences(c, t))
        for c in changes
    ]


def sentences(change: MerchantChange, t: SettingsTranslator) -> list[str]:
    who, detail = change.changed_by, change.detail
    match change.what:
        case "settings.changed" | "merchant.added":
            said = [
                s
                for name, diff in detail.items()
                if isinstance(diff, dict)
                for s in _setting(who, name, diff.get("from"), diff.get("to"), t)
            ]
            if change.what == "merchant.added":
                return [t("ch_merchant_added", who=who)]
            return said or [t("ch_other", who=who, what=change.what)]
        case "webhook.added":
            return [t("ch_webhook_added", who=who, url=str(detail.get("url", "")))]
        case "webhook.removed":
            return [t("ch_webhook_removed", who=who, endpoint=str(detail.get("endpoint_id", "")))]
        case "api_key.created":
            return [
                t(
                    "ch_key_created",
                    who=who,
                    api_key=_key(detail),
                    label=str(detail.get("label", "")),
                )
            ]
        case "api_key.revoked":
            return [t("ch_key_revoked", who=who, api_key=_key(detail))]
    return [t("ch_other", who=who, what=change.what)]


def _key(detail: dict[str, Any]) -> str:
    return f"cfk_{detail.get('key_id', '')}_…"


def _setting(who: str, name: str, old: Any, new: Any, t: SettingsTranslator) -> list[str]:
    if name in ("required_identifiers", "cancellation_emails"):
        before, after = _strings(old), _strings(new)
        added = [x for x in after if x not in before]
        removed = [x for x in before if x not in after]
        label = t.identifier if name == "required_identifiers" else str
        kind = "identifiers" if name == "required_identifiers" else "contacts"
        lines = []
        if added:
            lines.append(
                t(f"ch_{kind}_added", who=who, names=_joined([label(x) for x in added], t))
            )
        if removed:
            names = _joined([label(x) for x in removed], t)
            lines.append(t(f"ch_{kind}_removed", who=who, names=names))
        return lines
    if name == "locale":
        return [t("ch_locale", who=who, old=_language(old), new=_language(new))]
    if name == "timezone":
        return [t("ch_timezone", who=who, old=str(old), new=str(new))]
    if name == "notify_by":
        choices = {n.value for n in NotifyBy}
        if old in choices and new in choices:
            return [t("ch_notify_by", who=who, old=t(f"notify_{old}"), new=t(f"notify_{new}"))]
        return [t("ch_setting", who=who, name=t("notify_by"))]
    return [t("ch_setting", who=who, name=name.replace("_", " "))]


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _language(code: Any) -> str:
    return LANGUAGE_NAMES.get(str(code), str(code))


def _joined(items: list[str], t: SettingsTranslator) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {t('and')} " + items[-1]
