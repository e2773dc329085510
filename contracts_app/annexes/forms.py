from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from contracts_app.dates import DayField
from contracts_app.enums import CapPeriod, CapUnit, ClauseKind
from contracts_app.forms_common import split_list
from contracts_app.scope.clauses import UNIT_LABEL_MAX

OPS = [("add", "Add a clause"), ("modify", "Modify a clause"), ("remove", "Remove a clause")]


def _choices(enum_cls: Any, blank: str | None = None) -> list[tuple[str, str]]:
    options = [(member.value, member.value) for member in enum_cls]
    return [("", blank), *options] if blank is not None else options


class ChangeRowForm(Form):
    """One row of the annex form: an operation and, for add and modify, a clause's fields."""

    op = SelectField("Change", choices=OPS, default="add")
    ref = StringField("Ref", validators=[Length(max=40)])
    title = StringField("Title", validators=[Length(max=300)])
    description = TextAreaField("Description", validators=[Length(max=10_000)])
    kind = SelectField("Kind", choices=_choices(ClauseKind), default="included")
    categories = StringField("Categories")
    systems = StringField("Systems")
    keywords = StringField("Keywords")
    cap_unit = SelectField("Cap unit", choices=_choices(CapUnit, "no cap"), default="")
    cap_limit = StringField("Cap limit")
    cap_period = SelectField("Cap period", choices=_choices(CapPeriod, "—"), default="")
    cap_unit_label = StringField(
        "Counted as (plural)",
        description='e.g. "releases"',
        render_kw={"maxlength": UNIT_LABEL_MAX},
    )
    cap_unit_label_singular = StringField(
        "Counted as, for one",
        description='e.g. "release"',
        render_kw={"maxlength": UNIT_LABEL_MAX},
    )
    per_task_limit = StringField("Per-task limit")
    rate = StringField("Rate")

    def is_blank(self) -> bool:
        """A row left as the form offers it: nothing typed, nothing chosen."""
        typed = (
            self.ref,
            self.title,
            self.description,
            self.categories,
            self.systems,
            self.keywords,
            self.cap_limit,
            self.cap_unit_label,
            self.cap_unit_label_singular,
            self.per_task_limit,
            self.rate,
        )
        return (
            self.op.data == "add"
            and not any((field.data or "").strip() for field in typed)
            and not self.cap_unit.data
            and not self.cap_period.data
        )

    def clause_json(self) -> dict[str, Any]:
        def text(field: Any) -> str | None:
            value = (field.data or "").strip()
            return value or None

        cap = None
        label = text(self.cap_unit_label)
        singular = text(self.cap_unit_label_singular)
        if self.cap_unit.data or text(self.cap_limit) or self.cap_period.data or label or singular:
            cap = {
                "unit": self.cap_unit.data or None,
                "limit": text(self.cap_limit),
                "period": self.cap_period.data or None,
                "unit_label": label,
                "unit_label_singular": singular,
            }
        return {
            "ref": (self.ref.data or "").strip(),
            "title": (self.title.data or "").strip(),
            "description": self.description.data or "",
            "kind": self.kind.data,
            "categories": [c.lower() for c in split_list(self.categories.data)],
            "systems": split_list(self.systems.data),
            "keywords": split_list(self.keywords.data),
            "cap": cap,
            "per_task_limit": text(self.per_task_limit),
            "rate": text(self.rate),
        }

    def fill_from(self, op: str, clause: dict[str, Any]) -> None:
        self.op.data = op
        self.ref.data = clause.get("ref", "")
        self.title.data = clause.get("title", "")
        self.description.data = clause.get("description", "")
        self.kind.data = clause.get("kind", "included")
        self.categories.data = ", ".join(clause.get("categories", []))
        self.systems.data = ", ".join(clause.get("systems", []))
        self.keywords.data = ", ".join(clause.get("keywords", []))
        cap = clause.get("cap") or {}
        self.cap_unit.data = cap.get("unit", "")
        self.cap_limit.data = cap.get("limit") or ""
        self.cap_period.data = cap.get("period", "")
        self.cap_unit_label.data = cap.get("unit_label") or ""
        self.cap_unit_label_singular.data = cap.get("unit_label_singular") or ""
        self.per_task_limit.data = clause.get("per_task_limit") or ""
        self.rate.data = clause.get("rate") or ""


SIDE_CHOICES = [
    ("", "unchanged"),
    ("customer,provider", "both sides"),
    ("customer", "the customer only"),
    ("provider", "the provider only"),
]


FORM_RULES = ("approval_sides", "signoff_sides")


class AnnexForm(FlaskForm):
    version = HiddenField()
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    rationale = TextAreaField("Rationale", validators=[Length(max=20_000)])
    effective_date = DayField("Effective date", validators=[DataRequired()])
    changes = FieldList(FormField(ChangeRowForm), min_entries=0)
    # A governance change, beside the scope changes (agreements.governance).
    approval_sides = SelectField(
        "Sides that approve and sign annexes", choices=SIDE_CHOICES, default=""
    )
    signoff_sides = SelectField("Sides that sign off summaries", choices=SIDE_CHOICES, default="")
    # asked only when a category or system looks like one the agreement already uses
    confirm_new_codes = BooleanField("Use the new codes: they are not typing mistakes")

    def governance_json(self, stored: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """The governance change: the sides chosen here, and any other rule the stored
        change carries that this form does not show (kept as it is)."""
        rules = {
            name: value
            for name, value in (stored or {}).get("governance", {}).items()
            if name not in FORM_RULES
        }
        for name in FORM_RULES:
            if getattr(self, name).data:
                rules[name] = getattr(self, name).data.split(",")
        return {"op": "modify", "governance": rules} if rules else None

    def fill_governance(self, change: dict[str, Any]) -> None:
        for name, sides in change["governance"].items():
            if hasattr(self, name):
                getattr(self, name).data = ",".join(sides)


class EventForm(FlaskForm):
    event = HiddenField(validators=[DataRequired()])
    # the round the page showed: an approval or a signature is for that content only
    review_round = HiddenField(validators=[Optional(), Regexp(r"^\d{1,9}$")])
    comment = TextAreaField("Comment", validators=[Optional(), Length(max=10_000)])
    password = PasswordField("Your password (to sign)", validators=[Optional(), Length(max=1000)])
