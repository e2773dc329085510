"""Agreements: create, change, change status, list, members.

Each function takes plain arguments and the acting user, does its change in one
transaction with its audit event, and raises a domain error on refusal.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from contracts_app import dates, identifiers
from contracts_app.accounts.models import User
from contracts_app.agreements import governance
from contracts_app.agreements.access import MANAGERS, require_role, visible_agreements
from contracts_app.agreements.ladder import check_members
from contracts_app.agreements.models import Agreement, Membership, Party
from contracts_app.agreements.status import events_for as status_events_for
from contracts_app.agreements.terms import ALERT_FIELDS, validate_alert_fields
from contracts_app.audit.services import field_changes, record
from contracts_app.db import db, unit_of_work
from contracts_app.enums import AgreementStatus, Role, Side
from contracts_app.errors import Conflict, NotFound, ValidationFailed
from contracts_app.figures import currency_scale, decimal_text, money_what, scale_error
from contracts_app.formatting import DEFAULT_LOCALE, SUPPORTED_LOCALES
from contracts_app.identifiers import skeleton
from contracts_app.scope.clauses import (
    MAX_AMOUNT,
    ClauseSpec,
    figure_errors,
    parse_clause,
    parse_scope,
)
from contracts_app.scope.service_levels import Terms, parse_terms
from contracts_app.scope.services import base_scope, base_terms, set_base_scope
from contracts_app.scope.signals import scope_changed
from contracts_app.scope.vocabulary import lookalike_errors, scope_lookalikes, vocabulary_of
from contracts_app.sorting import Sorting, lower

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._-]{1,39}$")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")

# Fields that define the contract as signed: they change only while it is a draft.
# (the SLA notes too: they state what the provider promised)
DRAFT_ONLY_FIELDS = (
    "customer",
    "provider",
    "start_date",
    "end_date",
    "currency",
    "value",
    "sla_notes",
    "scope",
    "document_locale",
)
# The terms of service in the base scope: in draft only, later by annex.
TERMS_FIELDS = ("service_levels", "monthly_fee", "calendar")
# The rules of consent: fixed when the agreement leaves draft, then changed by annex only.
GOVERNANCE_FIELDS = tuple(governance.FIELDS)
EDITABLE_FIELDS = (
    *DRAFT_ONLY_FIELDS,
    *TERMS_FIELDS,
    *GOVERNANCE_FIELDS,
    "title",
    "sla_notes",
    "status",
)


def frozen_fields(agreement: Agreement) -> tuple[str, ...]:
    """The fields that no longer change by editing (only by annex), for forms to disable."""
    if agreement.status == AgreementStatus.DRAFT:
        return ()
    return (*DRAFT_ONLY_FIELDS, *GOVERNANCE_FIELDS)


# Why the base scope's clauses no longer change in place, in the words a form shows.
BASE_SCOPE_LOCKED = (
    "The base scope changes only while the agreement is a draft; "
    "to change a clause now, draft an annex."
)


def base_scope_editable(agreement: Agreement) -> bool:
    """Whether the base scope's clauses are edited in place: only in draft (the rule
    ``update_agreement`` enforces on ``scope``); later, by annex."""
    return "scope" not in frozen_fields(agreement)


@dataclasses.dataclass
class AgreementInput:
    """Agreement fields as given by a form or the API (already of the right types)."""

    code: str
    title: str
    customer: str
    provider: str
    start_date: dt.date
    end_date: dt.date | None = None
    currency: str = "EUR"
    value: Decimal = Decimal("0")
    sla_notes: str = ""
    approval_sides: Sequence[str] = (Side.CUSTOMER.value, Side.PROVIDER.value)
    signoff_sides: Sequence[str] = (Side.CUSTOMER.value, Side.PROVIDER.value)
    escalation_ladder: Sequence[Any] | None = None
    scope: Sequence[Any] = ()
    service_levels: Sequence[Any] = ()
    monthly_fee: Any = None
    calendar: Any = None
    # The creator's side: they become its first manager and may invite the other side's.
    creator_side: str = Side.PROVIDER.value
    notice_days: int = 0
    renewal: str = "none"
    renewal_months: int | None = None
    alert_days: Sequence[int] = (90, 30, 7)
    cap_alert_percents: Sequence[int] = (80, 100)
    # The language its summaries format figures in, agreed like its currency.
    document_locale: str = DEFAULT_LOCALE


def _plain(item: Any) -> Any:
    """A service level as JSON, whether given raw or already loaded by a schema."""
    if isinstance(item, Mapping):
        return {key: _plain(value) for key, value in item.items()}
    if isinstance(item, list | tuple):
        return [_plain(value) for value in item]
    return str(item) if isinstance(item, Decimal) else item


def _party(name: str, field: str) -> Party:
    """The party with this name, created when new; a lookalike of a recorded name is
    refused, naming the recorded one."""
    name = identifiers.clean_name(name, field)
    party = db.session.scalar(sa.select(Party).where(Party.name_skeleton == skeleton(name)))
    if party is not None and party.name != name:
        raise ValidationFailed(
            {field: [f"Looks like a party already recorded as {party.name!r}; use that name."]}
        )
    if party is None:
        party = Party(name=name)
        db.session.add(party)
        db.session.flush()
    return party


def field_problems(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """The problems of an agreement's fields, checked as creating or updating checks
    them, with nothing stored or looked up (for forms that show every error at once)."""
    errors: dict[str, list[str]] = {}
    _validate_fields(values, errors)
    return errors


def _validate_fields(values: Mapping[str, Any], errors: dict[str, list[str]]) -> None:
    if "code" in values and not CODE_PATTERN.match(values["code"] or ""):
        errors["code"] = ["Use 2 to 40 capital letters, digits, dots, dashes or underscores."]
    for name in ("title", "customer", "provider"):
        if name in values and not (values[name] or "").strip():
            errors[name] = ["This field is required."]
    for name in ("code", "customer", "provider"):
        message = identifiers.problem_with(values.get(name) or "")
        if message:
            errors[name] = [message]
    if (
        values.get("customer")
        and values.get("provider")
        and skeleton(" ".join(values["customer"].split()).lower())
        == skeleton(" ".join(values["provider"].split()).lower())
    ):
        errors["provider"] = ["The provider must differ from the customer."]
    if "currency" in values and not CURRENCY_PATTERN.match(values["currency"] or ""):
        errors["currency"] = ["Use a three-letter ISO 4217 code such as EUR."]
    if "document_locale" in values and values["document_locale"] not in SUPPORTED_LOCALES:
        errors["document_locale"] = [f"One of {', '.join(SUPPORTED_LOCALES)}."]
    if "value" in values:
        try:
            value = Decimal(values["value"])
            if not value.is_finite() or value < 0 or value > MAX_AMOUNT:
                errors["value"] = ["Must be zero or more."]
            elif message := scale_error(
                value, currency_scale(values.get("currency")), money_what(values.get("currency"))
            ):
                errors["value"] = [message]
        except (InvalidOperation, TypeError):
            errors["value"] = ["Must be a number."]
    start, end = values.get("start_date"), values.get("end_date")
    for name in ("start_date", "end_date"):
        if values.get(name) and not dates.in_range(values[name]):
            errors[name] = [dates.OUT_OF_RANGE]
    if start and end and end < start:
        errors["end_date"] = ["The end date must not be before the start date."]
    for name in GOVERNANCE_FIELDS:
        if name in values:
            try:
                governance.FIELDS[name].parse(_plain(values[name]), name)
            except ValidationFailed as exc:
                errors.update(exc.errors)
    if "creator_side" in values and values["creator_side"] not in {s.value for s in Side}:
        errors["creator_side"] = ["Must be customer or provider."]
    validate_alert_fields(dict(values), errors)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def create_agreement(data: AgreementInput, actor: User) -> Agreement:
    """Create a draft agreement with its base scope; any user may.

    The creator (unless an administrator) becomes the first manager of their side and
    may invite the other side's first manager; nobody else is attached without consent.

    Refuses a duplicate code, an end before the start, bad money or currency, and
    invalid or duplicate clauses, naming each field; nothing is stored then.
    """
    values = dataclasses.asdict(data)
    errors: dict[str, list[str]] = {}
    _validate_fields(values, errors)
    clauses: list[ClauseSpec] = []
    try:
        clauses = parse_scope(list(data.scope), currency=data.currency)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    terms = Terms()
    try:
        terms = parse_terms(
            {
                "service_levels": [_plain(item) for item in data.service_levels],
                "monthly_fee": data.monthly_fee,
                "calendar": data.calendar,
            }
        )
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    with unit_of_work():
        if db.session.scalar(sa.select(Agreement.id).where(Agreement.code == data.code)):
            raise ValidationFailed({"code": [f"An agreement {data.code} already exists."]})
        agreement = Agreement(
            code=data.code,
            title=data.title.strip(),
            customer=_party(data.customer, "customer"),
            provider=_party(data.provider, "provider"),
            start_date=data.start_date,
            end_date=data.end_date,
            currency=data.currency,
            value=Decimal(data.value),
            document_locale=data.document_locale,
            sla_notes=data.sla_notes,
            approval_sides=governance.FIELDS["approval_sides"].parse(
                list(data.approval_sides), "approval_sides"
            ),
            signoff_sides=governance.FIELDS["signoff_sides"].parse(
                list(data.signoff_sides), "signoff_sides"
            ),
            escalation_ladder=governance.FIELDS["escalation_ladder"].parse(
                _plain(data.escalation_ladder), "escalation_ladder"
            ),
            status=AgreementStatus.DRAFT,
            created_by_id=actor.id,
            **{name: governance.FIELDS[name].parse(values[name], name) for name in ALERT_FIELDS},
        )
        db.session.add(agreement)
        db.session.flush()
        set_base_scope(agreement, clauses, terms)
        if not actor.is_admin:
            db.session.add(
                Membership(
                    agreement_id=agreement.id,
                    user_id=actor.id,
                    side=Side(data.creator_side),
                    role=Role.MANAGER,
                )
            )
        db.session.flush()
        check_members(agreement, agreement.escalation_ladder)
        record(
            "agreement.created",
            agreement,
            actor,
            agreement_id=agreement.id,
            changes=field_changes({}, _snapshot(agreement) | {"clauses": len(clauses)}),
        )
    return agreement


def _snapshot(agreement: Agreement) -> dict[str, Any]:
    return {
        "code": agreement.code,
        "title": agreement.title,
        "customer": agreement.customer.name,
        "provider": agreement.provider.name,
        "start_date": agreement.start_date,
        "end_date": agreement.end_date,
        "currency": agreement.currency,
        "value": agreement.value,
        "status": agreement.status.value,
        "sla_notes": agreement.sla_notes,
        "document_locale": agreement.document_locale,
        **governance.governance_of(agreement),
    }


def update_agreement(
    agreement: Agreement,
    membership: Membership | None,
    changes: Mapping[str, Any],
    actor: User,
    *,
    confirm_new_codes: bool = True,
) -> Agreement:
    """Change an agreement's fields (a manager or admin).

    A base scope (``scope``) bringing a category or system that looks like one the
    agreement uses is refused, naming it at the clause's path (``scope.2.categories``),
    unless ``confirm_new_codes``.

    The contract as signed (parties, term, money, base scope) and its rules of consent
    change only while it is a draft; later, through annexes signed by both sides (409
    naming that way). The status never changes here: 409 naming the status events.
    """
    require_role(actor, agreement, membership, MANAGERS)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed({name: ["Unknown field."] for name in sorted(unknown)})
    if "status" in changes:
        raise Conflict(
            "The status changes through events, each confirmed by the other side: "
            f"POST /api/v1/agreements/{agreement.code}/events with one of "
            "activate, suspend, resume, terminate (then confirm or decline).",
            allowed=status_events_for(agreement, actor, membership),
        )
    if agreement.status != AgreementStatus.DRAFT:
        frozen = [name for name in GOVERNANCE_FIELDS if name in changes]
        if frozen:
            raise Conflict(
                f"{', '.join(frozen)} changed only by both sides once the agreement left "
                'draft: draft an annex with a governance change, {"op": "modify", '
                '"governance": {...}}, approved and signed under the rules in force.'
            )
        locked = [name for name in (*DRAFT_ONLY_FIELDS, *TERMS_FIELDS) if name in changes]
        if locked:
            raise ValidationFailed(
                {
                    name: ["Changes only while the agreement is a draft; draft an annex instead."]
                    for name in locked
                }
            )
    merged = {
        "renewal": agreement.renewal,
        "renewal_months": agreement.renewal_months,
        "start_date": agreement.start_date,
        "end_date": agreement.end_date,
        "customer": agreement.customer.name,
        "provider": agreement.provider.name,
        **changes,
    }
    errors: dict[str, list[str]] = {}
    _validate_fields({"currency": agreement.currency, **merged, **changes}, errors)
    clauses: list[ClauseSpec] | None = None
    if "scope" in changes:
        try:
            clauses = parse_scope(
                list(changes["scope"]), currency=changes.get("currency", agreement.currency)
            )
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if clauses and not confirm_new_codes:
        for path, messages in scope_lookalikes(clauses, vocabulary_of(agreement)).items():
            errors.setdefault(path, []).extend(messages)
    if changes.get("currency", agreement.currency) != agreement.currency and not errors:
        errors.update(_figures_beyond(agreement, changes))
    terms: Terms | None = None
    if any(name in changes for name in TERMS_FIELDS):
        current = base_terms(agreement.id).to_json()
        try:
            terms = parse_terms(
                {
                    name: [_plain(item) for item in changes[name]]
                    if name == "service_levels"
                    else changes[name]
                    for name in TERMS_FIELDS
                    if name in changes
                }
                | {name: current[name] for name in TERMS_FIELDS if name not in changes}
            )
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)

    with unit_of_work():
        before = _snapshot(agreement)
        for name in ("title", "sla_notes", "start_date", "end_date", "currency", "document_locale"):
            if name in changes:
                setattr(
                    agreement, name, changes[name].strip() if name == "title" else changes[name]
                )
        if "value" in changes:
            agreement.value = Decimal(changes["value"])
        for name in GOVERNANCE_FIELDS:
            if name in changes:
                setattr(agreement, name, governance.FIELDS[name].parse(changes[name], name))
        if "escalation_ladder" in changes:
            check_members(agreement, agreement.escalation_ladder)
        if "customer" in changes:
            agreement.customer = _party(changes["customer"], "customer")
        if "provider" in changes:
            agreement.provider = _party(changes["provider"], "provider")
        if clauses is not None or terms is not None or "start_date" in changes:
            specs = clauses if clauses is not None else list(base_scope(agreement.id).values())
            set_base_scope(agreement, specs, terms or base_terms(agreement.id))
        db.session.flush()
        diff = field_changes(before, _snapshot(agreement))
        if clauses is not None:
            diff["scope"] = {"before": None, "after": f"{len(clauses)} clauses"}
        if terms is not None:
            diff["terms"] = {"before": None, "after": terms.to_json()}
            # tickets already recorded are measured again against the new terms
            scope_changed.send(agreement, start=agreement.start_date, annex_id=None)
        record("agreement.updated", agreement, actor, agreement_id=agreement.id, changes=diff)
    return agreement


def _figures_beyond(agreement: Agreement, changes: Mapping[str, Any]) -> dict[str, list[str]]:
    """A new currency must hold the figures already stored: nothing is rounded to fit."""
    currency = changes["currency"]
    problems: list[str] = []
    if "value" not in changes and scale_error(
        agreement.value, currency_scale(currency), money_what(currency)
    ):
        problems.append(f"the value {decimal_text(agreement.value)}")
    if "scope" not in changes:
        for spec in base_scope(agreement.id).values():
            fields = {"cap": spec.cap, "per_task_limit": spec.per_task_limit, "rate": spec.rate}
            if figure_errors(fields, currency):
                problems.append(f"clause {spec.ref}")
    if not problems:
        return {}
    return {
        "currency": [
            f"{', '.join(problems)} would have more decimals than the minor unit of "
            f"{currency} ({currency_scale(currency)}); change the figures first."
        ]
    }


AGREEMENT_SORTING = Sorting(
    columns={
        "code": lower(Agreement.code),
        "title": lower(Agreement.title),
        "status": Agreement.status,
        "start_date": Agreement.start_date,
        "end_date": Agreement.end_date,
        "value": Agreement.value,
    },
    default="-start_date",
    tiebreaker=Agreement.id,
)


def search_agreements(
    user: User,
    *,
    text: str = "",
    status: str | None = None,
    party: str = "",
    sort: str | None = None,
    page: int = 1,
    per_page: int = 25,
) -> tuple[list[Agreement], int]:
    """Agreements the user may see, filtered, in the order of ``sort`` (newest start first
    by default), one page at a time. Refuses a field ``AGREEMENT_SORTING`` does not offer."""
    order = AGREEMENT_SORTING.order_by(sort)
    query = visible_agreements(user)
    if text.strip():
        pattern = f"%{text.strip().lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(Agreement.code).like(pattern),
                sa.func.lower(Agreement.title).like(pattern),
            )
        )
    if status:
        try:
            query = query.where(Agreement.status == AgreementStatus(status))
        except ValueError:
            raise ValidationFailed(
                {"status": [f"Must be one of: {', '.join(s.value for s in AgreementStatus)}."]}
            ) from None
    if party.strip():
        pattern = f"%{party.strip().lower()}%"
        matching = sa.select(Party.id).where(sa.func.lower(Party.name).like(pattern))
        query = query.where(
            sa.or_(Agreement.customer_id.in_(matching), Agreement.provider_id.in_(matching))
        )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.order_by(*order).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(rows), total


def list_parties() -> list[Party]:
    return list(db.session.scalars(sa.select(Party).order_by(Party.name)).all())


# --- base scope, one clause at a time (the page editor) ------------------------------


def clause_problems(agreement: Agreement, raw_clause: Mapping[str, Any]) -> dict[str, list[str]]:
    """The problems of one clause as ``save_base_clause`` checks its content, with
    nothing stored (for a form that shows every error at once)."""
    try:
        parse_clause(raw_clause, currency=agreement.currency)
    except ValidationFailed as exc:
        return dict(exc.errors)
    return {}


def save_base_clause(
    agreement: Agreement,
    membership: Membership | None,
    raw_clause: Mapping[str, Any],
    actor: User,
    replacing_ref: str | None = None,
    *,
    confirm_new_codes: bool = False,
) -> ClauseSpec:
    """Add a clause to a draft's base scope, or replace the one with ``replacing_ref``.

    Errors name the clause's own fields (``ref``, ``cap.limit``), for the form. A new
    category or system that looks like one the agreement uses is refused, naming it,
    unless ``confirm_new_codes``. Refuses (409) once the agreement left draft.
    """
    require_role(actor, agreement, membership, MANAGERS)
    if not base_scope_editable(agreement):
        raise Conflict(BASE_SCOPE_LOCKED)
    clause = parse_clause(raw_clause, currency=agreement.currency)
    if not confirm_new_codes:
        problems = lookalike_errors(
            {"categories": clause.categories, "systems": clause.systems}, vocabulary_of(agreement)
        )
        if problems:
            raise ValidationFailed(problems)
    current = base_scope(agreement.id)
    if replacing_ref is not None and replacing_ref not in current:
        raise NotFound(f"No clause {replacing_ref} in the base scope.")
    if clause.ref in current and clause.ref != replacing_ref:
        raise ValidationFailed({"ref": [f"Clause {clause.ref} already exists."]})
    items = [spec.to_json() for ref, spec in current.items() if ref != replacing_ref]
    items.append(clause.to_json())
    update_agreement(agreement, membership, {"scope": items}, actor)
    return clause


def remove_base_clause(
    agreement: Agreement, membership: Membership | None, ref: str, actor: User
) -> None:
    """Remove a clause from a draft's base scope; refuses (409) once it left draft."""
    require_role(actor, agreement, membership, MANAGERS)
    if not base_scope_editable(agreement):
        raise Conflict(BASE_SCOPE_LOCKED)
    current = base_scope(agreement.id)
    if ref not in current:
        raise NotFound(f"No clause {ref} in the base scope.")
    items = [spec.to_json() for other, spec in current.items() if other != ref]
    update_agreement(agreement, membership, {"scope": items}, actor)
