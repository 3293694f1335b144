"""Each outcome of the merchant portal guide, defined once: what it means beyond its fields.

`domain/answers.py` holds each answer's fields (the shape stored in case histories); this
module says, per outcome, how the form and the CLI name it and its fields in English and
Swedish, what the customer is told (subject and text), and what the case does next. The
reply form, the API bodies and OpenAPI, the CLI options, the customer emails, the
workflow's follow-up and the bulk-answer columns are all derived from OUTCOMES.

Adding an outcome: its answer class in answers.py (an Outcome member, the class, the
MerchantAnswer union), then its CustomerOutcomeKind member and its case in `_define`
below; mypy (assert_never) refuses the module until the case is there. The pieces a
definition is made of are in outcomes_parts.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import assert_never

from domain.answers import (
    BindingContract,
    HasNowBeenCancelled,
    MerchantAnswer,
    NoSubscriptionFound,
    OtherReason,
    Outcome,
    WasAlreadyCancelled,
)
from domain.outcomes_parts import GROUP_LABELS as GROUP_LABELS
from domain.outcomes_parts import AnswerField as AnswerField
from domain.outcomes_parts import ChoiceGroup as ChoiceGroup
from domain.outcomes_parts import CustomerWording as CustomerWording
from domain.outcomes_parts import FieldKind as FieldKind
from domain.outcomes_parts import FieldText as FieldText
from domain.outcomes_parts import FollowUp as FollowUp
from domain.outcomes_parts import Localized as Localized
from domain.outcomes_parts import OutcomeSpec as OutcomeSpec
from domain.outcomes_parts import checked_spec as _spec


# What the customer is told happened; values are stored in case histories. (A comment, not
# a docstring: it would become the OpenAPI schema's description.)
class CustomerOutcomeKind(StrEnum):
    CANCELLED = "cancelled"
    ALREADY_CANCELLED = "already_cancelled"
    BINDING_CONTRACT = "binding_contract"
    NOT_FOUND = "not_found"
    NOT_CANCELLED = "not_cancelled"


def _define(outcome: Outcome) -> OutcomeSpec:
    match outcome:
        case Outcome.HAS_NOW_BEEN_CANCELLED:
            return _spec(
                outcome,
                HasNowBeenCancelled,
                label={"en": "has now been cancelled", "sv": "har nu sagts upp"},
                group=None,
                fields={
                    "access_until": FieldText(
                        label={
                            "en": "Date the customer has access to the subscription until",
                            "sv": "Datum som kunden har tillgång till abonnemanget till och med",
                        },
                        help="The customer has access until this date",
                    )
                },
                customer_kind=CustomerOutcomeKind.CANCELLED,
                effective_date="access_until",
                customer=CustomerWording(
                    subject={
                        "en": "Cancelled: {subscription} with {merchant} ({reference})",
                        "sv": "Uppsagt: {subscription} hos {merchant} ({reference})",
                    },
                    body={
                        "en": "{merchant} has cancelled your subscription {subscription}. "
                        "You have access until {date}.",
                        "sv": "{merchant} har sagt upp ditt abonnemang {subscription}. "
                        "Du har tillgång till det till och med {date}.",
                    },
                ),
                follow_up=FollowUp.CLOSE,
                merchant_next={
                    "en": (
                        "What happens next: we tell the customer that the subscription has been "
                        "cancelled and that they have access until {date}. Nothing more is needed "
                        "from you."
                    ),
                    "sv": (
                        "Vad händer nu: vi meddelar kunden att abonnemanget har sagts upp och att "
                        "hen har tillgång till och med {date}. Ni behöver inte göra något mer."
                    ),
                },
            )
        case Outcome.WAS_ALREADY_CANCELLED:
            return _spec(
                outcome,
                WasAlreadyCancelled,
                label={"en": "was already cancelled", "sv": "var redan uppsagt"},
                group=None,
                fields={
                    "cancelled_on": FieldText(
                        label={
                            "en": "Date the cancellation was performed",
                            "sv": "Datum då uppsägningen genomfördes",
                        },
                        help="The date the cancellation was performed",
                    )
                },
                customer_kind=CustomerOutcomeKind.ALREADY_CANCELLED,
                effective_date="cancelled_on",
                customer=CustomerWording(
                    subject={
                        "en": "Already cancelled: {subscription} with {merchant} ({reference})",
                        "sv": "Redan uppsagt: {subscription} hos {merchant} ({reference})",
                    },
                    body={
                        "en": "{merchant} has told us that your subscription {subscription} "
                        "was already cancelled on {date}. You do not need to do anything.",
                        "sv": "{merchant} har meddelat oss att ditt abonnemang {subscription} "
                        "redan sades upp den {date}. Du behöver inte göra något.",
                    },
                ),
                follow_up=FollowUp.CLOSE,
                merchant_next={
                    "en": (
                        "What happens next: we tell the customer that the subscription was "
                        "already cancelled. Nothing more is needed from you."
                    ),
                    "sv": (
                        "Vad händer nu: vi meddelar kunden att abonnemanget redan var uppsagt. Ni "
                        "behöver inte göra något mer."
                    ),
                },
            )
        case Outcome.BINDING_CONTRACT:
            return _spec(
                outcome,
                BindingContract,
                label={"en": "binding contract", "sv": "bindningstid"},
                group=ChoiceGroup.COULD_NOT_BE_CANCELLED,
                fields={
                    "contract_ends_on": FieldText(
                        label={
                            "en": "Date the binding contract expires",
                            "sv": "Datum då bindningstiden löper ut",
                        },
                        help="The date the binding contract expires",
                    )
                },
                customer_kind=CustomerOutcomeKind.BINDING_CONTRACT,
                effective_date="contract_ends_on",
                customer=CustomerWording(
                    subject={
                        "en": "Binding contract until {date}: {subscription} with {merchant} "
                        "({reference})",
                        "sv": "Bindningstid till {date}: {subscription} hos {merchant} "
                        "({reference})",
                    },
                    body={
                        "en": "{merchant} could not cancel your subscription {subscription} "
                        "because it has a binding contract that ends on {date}. We will send "
                        "{merchant} a new cancellation request on {new_request_on}, when the "
                        "notice period allows it; you do not need to do anything.",
                        "sv": "{merchant} kunde inte säga upp ditt abonnemang {subscription} "
                        "eftersom det har en bindningstid som löper ut den {date}. Vi skickar "
                        "en ny begäran om uppsägning till {merchant} den {new_request_on}, när "
                        "uppsägningstiden tillåter det; du behöver inte göra något.",
                    },
                    undated={
                        "en": "{merchant} could not cancel your subscription {subscription} "
                        "because it has a binding contract that ends on {date}. We will send "
                        "{merchant} a new cancellation request when the notice period allows "
                        "it; you do not need to do anything.",
                        "sv": "{merchant} kunde inte säga upp ditt abonnemang {subscription} "
                        "eftersom det har en bindningstid som löper ut den {date}. Vi skickar "
                        "en ny begäran om uppsägning till {merchant} när uppsägningstiden "
                        "tillåter det; du behöver inte göra något.",
                    },
                ),
                follow_up=FollowUp.NEW_ROUND_AFTER_NOTICE,
                merchant_next={
                    "en": (
                        "What happens next: we tell the customer about the binding contract, and "
                        "we will send you a new cancellation request on {date}."
                    ),
                    "sv": (
                        "Vad händer nu: vi berättar för kunden om bindningstiden, och vi skickar "
                        "en ny uppsägningsbegäran till er {date}."
                    ),
                },
            )
        case Outcome.NO_SUBSCRIPTION_FOUND:
            return _spec(
                outcome,
                NoSubscriptionFound,
                label={"en": "no subscription found", "sv": "inget abonnemang hittades"},
                group=ChoiceGroup.COULD_NOT_BE_CANCELLED,
                fields={},
                customer_kind=CustomerOutcomeKind.NOT_FOUND,
                effective_date=None,
                customer=CustomerWording(
                    subject={
                        "en": "Please check your details: {subscription} with {merchant} "
                        "({reference})",
                        "sv": "Kontrollera dina uppgifter: {subscription} hos {merchant} "
                        "({reference})",
                    },
                    body={
                        "en": "{merchant} could not find a subscription {subscription} matching "
                        "the details you gave us. Please check your details, for example the "
                        "email address and name the subscription is registered under, and "
                        "send us your corrected details by {corrections_until}: "
                        "{corrections_channel}. We will then ask {merchant} again; you do not "
                        "need to make a new request.",
                        "sv": "{merchant} kunde inte hitta något abonnemang {subscription} som "
                        "matchar uppgifterna du lämnade. Kontrollera dina uppgifter, till "
                        "exempel e-postadressen och namnet som abonnemanget är registrerat på, "
                        "och skicka oss dina rättade uppgifter senast {corrections_until}: "
                        "{corrections_channel}. Vi frågar då {merchant} igen; du behöver inte "
                        "göra en ny begäran.",
                    },
                    undated={
                        "en": "{merchant} could not find a subscription {subscription} matching "
                        "the details you gave us. Please check your details, for example the "
                        "email address and name the subscription is registered under, and "
                        "send us your corrected details within 14 days: "
                        "{corrections_channel}. We will then ask {merchant} again; you do not "
                        "need to make a new request.",
                        "sv": "{merchant} kunde inte hitta något abonnemang {subscription} som "
                        "matchar uppgifterna du lämnade. Kontrollera dina uppgifter, till "
                        "exempel e-postadressen och namnet som abonnemanget är registrerat på, "
                        "och skicka oss dina rättade uppgifter inom 14 dagar: "
                        "{corrections_channel}. Vi frågar då {merchant} igen; du behöver inte "
                        "göra en ny begäran.",
                    },
                ),
                follow_up=FollowUp.AWAIT_CORRECTED_DETAILS,
                merchant_next={
                    "en": (
                        "What happens next: we have asked the customer to check and correct their "
                        "details. If they do, you will get a new request with the corrected "
                        "details."
                    ),
                    "sv": (
                        "Vad händer nu: vi har bett kunden kontrollera och rätta sina uppgifter. "
                        "Om hen gör det får ni en ny begäran med de rättade uppgifterna."
                    ),
                },
            )
        case Outcome.OTHER_REASON:
            # The case closes with this answer, so the email promises no call back; it says
            # where the customer can turn instead (issue 18.4).
            return _spec(
                outcome,
                OtherReason,
                label={"en": "other reason", "sv": "annan orsak"},
                group=ChoiceGroup.COULD_NOT_BE_CANCELLED,
                fields={
                    "message": FieldText(
                        label={"en": "Message to Minna", "sv": "Meddelande till Minna"},
                        help="Why it could not be cancelled; comes to us and is never shown "
                        "to the customer",
                        hint={
                            "en": "All free text comes to Minna and is not shared with the "
                            "customer.",
                            "sv": "All fritext går till Minna och delas inte med kunden.",
                        },
                    )
                },
                customer_kind=CustomerOutcomeKind.NOT_CANCELLED,
                effective_date=None,
                customer=CustomerWording(
                    subject={
                        "en": "Not cancelled: {subscription} with {merchant} ({reference})",
                        "sv": "Inte uppsagt: {subscription} hos {merchant} ({reference})",
                    },
                    body={
                        "en": "{merchant} could not cancel your subscription {subscription} "
                        "at this time, and your cancellation request is now closed. We have "
                        "noted the reason {merchant} gave us. If you still want to cancel, "
                        "write to {support}.",
                        "sv": "{merchant} kunde inte säga upp ditt abonnemang {subscription} "
                        "just nu, och din begäran om uppsägning är nu avslutad. Vi har noterat "
                        "orsaken som {merchant} angav. Om du fortfarande vill säga upp "
                        "abonnemanget, skriv till {support}.",
                    },
                ),
                follow_up=FollowUp.CLOSE,
                merchant_next={
                    "en": (
                        "What happens next: Minna's support team reads your message and follows "
                        "it up; we tell the customer that the subscription could not be "
                        "cancelled."
                    ),
                    "sv": (
                        "Vad händer nu: Minnas support läser ert meddelande och följer upp det; "
                        "vi meddelar kunden att abonnemanget inte kunde sägas upp."
                    ),
                },
                for_ops="message",
            )
        case _:
            assert_never(outcome)


OUTCOMES: Mapping[Outcome, OutcomeSpec] = {o: _define(o) for o in Outcome}
BY_CUSTOMER_KIND: Mapping[StrEnum, OutcomeSpec] = {s.customer_kind: s for s in OUTCOMES.values()}
if set(BY_CUSTOMER_KIND) != set(CustomerOutcomeKind):
    raise TypeError("each customer outcome kind belongs to exactly one outcome")


def spec_of(answer: MerchantAnswer) -> OutcomeSpec:
    return OUTCOMES[answer.outcome]


def answer_fields() -> tuple[AnswerField, ...]:
    """Every outcome's own fields, each once, in the order the outcomes are defined."""
    seen: dict[str, AnswerField] = {}
    for spec in OUTCOMES.values():
        for f in spec.fields:
            seen.setdefault(f.name, f)
    return tuple(seen.values())


def bulk_answer_columns() -> tuple[str, ...]:
    """The columns of a bulk-answers file: the outcome, then every outcome's own fields
    (today outcome, access_until, cancelled_on, contract_ends_on, message)."""
    return ("outcome", *(f.name for f in answer_fields()))


def date_fields() -> tuple[str, ...]:
    """Every outcome's date fields (access_until, cancelled_on, contract_ends_on)."""
    return tuple(f.name for f in answer_fields() if f.kind is FieldKind.DATE)


def effective_date(answer: MerchantAnswer) -> date | None:
    """The date the customer is told: access_until, cancelled_on or contract_ends_on."""
    name = spec_of(answer).effective_date
    value = getattr(answer, name) if name else None
    assert value is None or isinstance(value, date)
    return value


def ops_detail(answer: MerchantAnswer) -> str | None:
    """What of the answer goes to ops only (the other reason's message), if anything."""
    name = spec_of(answer).for_ops
    value = getattr(answer, name) if name else None
    assert value is None or isinstance(value, str)
    return value


def top_choices() -> tuple[str, ...]:
    """The reply form's first question: outcomes of their own and groups, in guide order."""
    choices: list[str] = []
    for spec in OUTCOMES.values():
        choice = spec.group.value if spec.group else spec.outcome.value
        if choice not in choices:
            choices.append(choice)
    return tuple(choices)


def reasons(group: ChoiceGroup) -> tuple[Outcome, ...]:
    return tuple(s.outcome for s in OUTCOMES.values() if s.group is group)
