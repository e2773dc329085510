from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from contracts_app.dates import DayField
from contracts_app.enums import CapPeriod, CapUnit, ClauseKind, Role, Side
from contracts_app.formatting import DEFAULT_LOCALE, LOCALE_NAMES
from contracts_app.forms_common import split_list
from contracts_app.scope.clauses import UNIT_LABEL_MAX


class IntListField(StringField):
    """Whole numbers typed as "90, 30, 7"."""

    def _value(self) -> str:
        return ", ".join(str(item) for item in self.data or [])

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        items = split_list(valuelist[0])
        if not all(item.isdigit() for item in items):
            self.data = []
            raise ValueError("Give whole numbers separated by commas.")
        self.data = [int(item) for item in items]


class AgreementForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[
            DataRequired(),
            Regexp(r"^[A-Z0-9][A-Z0-9._-]{1,39}$", message="Use capitals, digits, . _ -"),
        ],
        description="A unique code such as AMS-2026-01.",
    )
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    customer = StringField("Customer", validators=[DataRequired(), Length(max=200)])
    provider = StringField("Provider", validators=[DataRequired(), Length(max=200)])
    start_date = DayField("Start date", validators=[DataRequired()])
    end_date = DayField("End date", validators=[Optional()], description="Empty for open-ended.")
    currency = StringField(
        "Currency", default="EUR", validators=[DataRequired(), Regexp(r"^[A-Z]{3}$")]
    )
    value = DecimalField(
        "Value", places=None, default=0, validators=[Optional(), NumberRange(min=0)]
    )
    sla_notes = TextAreaField("SLA and KPI notes", validators=[Length(max=20_000)])
    customer_approves = BooleanField("The customer approves and signs annexes", default=True)
    provider_approves = BooleanField("The provider approves and signs annexes", default=True)
    customer_signs_off = BooleanField("The customer signs off summaries", default=True)
    provider_signs_off = BooleanField("The provider signs off summaries", default=True)
    creator_side = SelectField(
        "Your side",
        choices=[(Side.PROVIDER.value, "provider"), (Side.CUSTOMER.value, "customer")],
        default=Side.PROVIDER.value,
        description="You become its first manager and invite the other side's.",
    )
    notice_days = IntegerField(
        "Notice (days)",
        default=0,
        validators=[Optional(), NumberRange(min=0, max=3660)],
        description="How long before the end of a term a notice must be given.",
    )
    renewal = SelectField(
        "Renewal",
        choices=[("none", "none: ends at the end date"), ("tacit", "tacit: renews itself")],
        default="none",
    )
    renewal_months = IntegerField(
        "Renews for (months)",
        validators=[Optional(), NumberRange(min=1, max=120)],
        description="The length of each tacit renewal.",
    )
    alert_days = IntListField(
        "Alert lead times (days)",
        default=[90, 30, 7],
        description="Before the notice deadline and the end of term, e.g. 90, 30, 7.",
    )
    cap_alert_percents = IntListField(
        "Cap alert thresholds (%)", default=[80, 100], description="e.g. 80, 100"
    )
    document_locale = SelectField(
        "Language of its documents",
        choices=list(LOCALE_NAMES.items()),
        default=DEFAULT_LOCALE,
        description="How summary PDFs write numbers and amounts, whoever issues them.",
    )

    def approval_sides(self) -> list[str]:
        return self._sides(self.customer_approves.data, self.provider_approves.data)

    def signoff_sides(self) -> list[str]:
        return self._sides(self.customer_signs_off.data, self.provider_signs_off.data)

    @staticmethod
    def _sides(customer: bool, provider: bool) -> list[str]:
        return [
            side.value
            for side, chosen in ((Side.CUSTOMER, customer), (Side.PROVIDER, provider))
            if chosen
        ]

    def fill_governance(self, approval_sides: list[str], signoff_sides: list[str]) -> None:
        self.customer_approves.data = "customer" in approval_sides
        self.provider_approves.data = "provider" in approval_sides
        self.customer_signs_off.data = "customer" in signoff_sides
        self.provider_signs_off.data = "provider" in signoff_sides

    def values(self) -> dict[str, Any]:
        return {
            "title": self.title.data or "",
            "customer": self.customer.data or "",
            "provider": self.provider.data or "",
            "start_date": self.start_date.data,
            "end_date": self.end_date.data,
            "currency": (self.currency.data or "").upper(),
            "value": self.value.data if self.value.data is not None else 0,
            "sla_notes": self.sla_notes.data or "",
            "approval_sides": self.approval_sides(),
            "signoff_sides": self.signoff_sides(),
            "notice_days": self.notice_days.data or 0,
            "renewal": self.renewal.data or "none",
            "renewal_months": self.renewal_months.data,
            "alert_days": self.alert_days.data or [],
            "cap_alert_percents": self.cap_alert_percents.data or [],
            "document_locale": self.document_locale.data or DEFAULT_LOCALE,
        }


def _decimal(text: str | None) -> Decimal | None:
    return Decimal(text) if text not in (None, "") else None


def _choices(enum_cls: Any, blank: str | None = None) -> list[tuple[str, str]]:
    options = [(member.value, member.value.replace("_", " ")) for member in enum_cls]
    return [("", blank), *options] if blank is not None else options


class ClauseForm(FlaskForm):
    ref = StringField("Ref", validators=[DataRequired(), Length(max=40)], description="e.g. 1.1")
    title = StringField("Title", validators=[DataRequired(), Length(max=300)])
    description = TextAreaField("Description", validators=[Length(max=10_000)])
    kind = SelectField("Kind", choices=_choices(ClauseKind))
    categories = StringField(
        "Categories", description="Comma-separated codes, e.g. support.incident"
    )
    systems = StringField("Systems", description="Comma-separated; empty means every system")
    keywords = StringField("Keywords", description="Comma-separated")
    cap_unit = SelectField("Cap unit", choices=_choices(CapUnit, "no cap"))
    cap_limit = DecimalField("Cap limit", places=None, validators=[Optional()])
    cap_period = SelectField("Cap period", choices=_choices(CapPeriod, "—"))
    cap_unit_label = StringField(
        "Counted as (plural)",
        description='For a count cap: what it counts, as written after 4, e.g. "releases"',
        render_kw={"maxlength": UNIT_LABEL_MAX},
    )
    cap_unit_label_singular = StringField(
        "Counted as, for one",
        description='Optional: as written after 1, e.g. "release"',
        render_kw={"maxlength": UNIT_LABEL_MAX},
    )
    per_task_limit = DecimalField("Per-task limit", places=None, validators=[Optional()])
    rate = DecimalField("Rate", places=None, validators=[Optional()])
    # asked only when a category or system looks like one the agreement already uses
    confirm_new_codes = BooleanField("Use the new code: it is not a typing mistake")

    def clause_json(self) -> dict[str, Any]:
        cap = None
        label = (self.cap_unit_label.data or "").strip() or None
        singular = (self.cap_unit_label_singular.data or "").strip() or None
        if (
            self.cap_unit.data
            or self.cap_limit.data is not None
            or self.cap_period.data
            or label
            or singular
        ):
            cap = {
                "unit": self.cap_unit.data or None,
                "limit": str(self.cap_limit.data) if self.cap_limit.data is not None else None,
                "period": self.cap_period.data or None,
                "unit_label": label,
                "unit_label_singular": singular,
            }
        return {
            "ref": (self.ref.data or "").strip(),
            "title": (self.title.data or "").strip(),
            "description": self.description.data or "",
            "kind": self.kind.data,
            "categories": split_list(self.categories.data),
            "systems": split_list(self.systems.data),
            "keywords": split_list(self.keywords.data),
            "cap": cap,
            "per_task_limit": str(self.per_task_limit.data)
            if self.per_task_limit.data is not None
            else None,
            "rate": str(self.rate.data) if self.rate.data is not None else None,
        }

    def fill_from(self, clause: dict[str, Any]) -> None:
        self.ref.data = clause["ref"]
        self.title.data = clause["title"]
        self.description.data = clause["description"]
        self.kind.data = clause["kind"]
        self.categories.data = ", ".join(clause["categories"])
        self.systems.data = ", ".join(clause["systems"])
        self.keywords.data = ", ".join(clause["keywords"])
        cap = clause["cap"] or {}
        self.cap_unit.data = cap.get("unit", "")
        self.cap_limit.data = _decimal(cap.get("limit"))
        self.cap_period.data = cap.get("period", "")
        self.cap_unit_label.data = cap.get("unit_label") or ""
        self.cap_unit_label_singular.data = cap.get("unit_label_singular") or ""
        self.per_task_limit.data = _decimal(clause["per_task_limit"])
        self.rate.data = _decimal(clause["rate"])


class StatusEventForm(FlaskForm):
    """One status event; which fields show comes from the machine's event spec."""

    event = HiddenField(validators=[DataRequired()])
    # the open request the page showed: an answer to it answers that one only
    change_id = HiddenField(validators=[Optional(), Regexp(r"^\d{1,18}$")])
    effective_date = DayField("Effective date", validators=[Optional()])
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=10_000)])


class InviteForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    side = SelectField("Side", choices=_choices(Side))
    # least privilege first: a role is raised on purpose, not by leaving a default
    role = SelectField("Role", choices=list(reversed(_choices(Role))), default=Role.VIEWER.value)


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=_choices(Role))
