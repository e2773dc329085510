"""Demo data for service levels: targets, a Warsaw calendar, a year of tickets with
times, outages, and the last closed month's report issued and signed off."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from contracts_app.accounts.models import User
from contracts_app.agreements.access import membership_of
from contracts_app.agreements.models import Agreement
from contracts_app.db import utcnow
from contracts_app.documents.service_reports import issue_service_report
from contracts_app.documents.services import sign_off
from contracts_app.service_levels.services import OutageInput, Period, record_outage

CALENDAR: dict[str, Any] = {
    "timezone": "Europe/Warsaw",
    "working_days": ["mon", "tue", "wed", "thu", "fri"],
    "working_hours": ["08:00", "18:00"],
    "holidays": {"country": "PL", "subdivision": None},
    "closed_days": ["2026-12-24", "2026-12-31"],
}
MONTHLY_FEE = "20000.00"


def _tiers(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"below_percent": below, "credit_percent": credit} for below, credit in pairs]


SERVICE_LEVELS: list[dict[str, Any]] = [
    {
        "ref": "SL-1",
        "title": "P1 incident response",
        "metric": "response_time",
        "applies_to": {"categories": ["support.incident"], "priorities": ["P1"], "systems": []},
        "target_hours": "0.5",
        "clock": "always",
        "objective_percent": "95.0",
        "period": "month",
        "credits": _tiers(("95.0", "2"), ("90.0", "4")),
    },
    {
        "ref": "SL-2",
        "title": "P1 incident resolution",
        "metric": "resolution_time",
        "applies_to": {"categories": ["support.incident"], "priorities": ["P1"], "systems": []},
        "target_hours": "4",
        "clock": "always",
        "objective_percent": "95.0",
        "period": "month",
        "credits": _tiers(("95.0", "5"), ("90.0", "10")),
    },
    {
        "ref": "SL-3",
        "title": "P2 incident resolution within one business day",
        "metric": "resolution_time",
        "applies_to": {"categories": ["support.incident"], "priorities": ["P2"], "systems": []},
        "target_hours": "10",
        "clock": "business",
        "objective_percent": "90.0",
        "period": "month",
        "credits": _tiers(("90.0", "3"), ("80.0", "6")),
    },
    {
        "ref": "SL-4",
        "title": "Availability of the online shop",
        "metric": "availability",
        "applies_to": {"categories": [], "priorities": [], "systems": ["shop-web", "shop-api"]},
        "target_hours": None,
        "clock": "always",
        "objective_percent": "99.8",
        "period": "month",
        "credits": _tiers(("99.8", "5"), ("99.0", "10")),
    },
]


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def ticket_csv(start: dt.date, now: dt.datetime, seed: int = 2026) -> str:
    """About thirty incidents a month from ``start`` to ``now``, with times and pauses."""
    rng = random.Random(seed)
    lines = ["ref,title,category,system,date,priority,opened_at,responded_at,resolved_at,pauses"]
    day = start
    number = 0
    while day < now.date():
        for _ in range(30):
            opened = dt.datetime.combine(
                day + dt.timedelta(days=rng.randrange(28)), dt.time(), dt.UTC
            ) + dt.timedelta(minutes=rng.randrange(6 * 60, 19 * 60))
            if opened >= now:
                continue
            number += 1
            priority = rng.choices(["P1", "P2", "P3"], weights=[2, 5, 3])[0]
            responded = opened + dt.timedelta(minutes=rng.choice([5, 10, 15, 20, 25, 40]))
            hours = {
                "P1": rng.uniform(0.5, 5.0),
                "P2": rng.uniform(1, 40),
                "P3": rng.uniform(2, 80),
            }
            resolved = opened + dt.timedelta(minutes=int(hours[priority] * 60))
            resolved = max(resolved, responded + dt.timedelta(minutes=5))  # answered first
            pauses = ""
            if rng.random() < 0.15:
                pause_from = opened + dt.timedelta(minutes=30)
                pause_to = pause_from + dt.timedelta(minutes=rng.randrange(30, 180))
                resolved += pause_to - pause_from
                pauses = f"{_iso(pause_from)}/{_iso(pause_to)}"
            system = rng.choice(["shop-web", "shop-api"])
            category = "support.incident" if priority != "P3" else "support.incident.minor"
            lines.append(
                ",".join(
                    [
                        f"SD-{number:05d}",
                        f"{priority} incident on {system}",
                        category,
                        system,
                        opened.date().isoformat(),
                        priority,
                        _iso(opened),
                        _iso(responded) if responded < now else "",
                        _iso(resolved) if resolved < now else "",
                        pauses if resolved < now else "",
                    ]
                )
            )
        day = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return "\n".join(lines) + "\n"


OUTAGES = [
    # (system, start, minutes, planned, note)
    ("shop-web", "2026-02-11T02:00:00Z", 120, True, "Announced database maintenance"),
    ("shop-api", "2026-03-09T13:10:00Z", 95, False, "Payment page outage (INC-1002)"),
    ("shop-web", "2026-05-05T18:00:00Z", 40, False, "Slow category pages during the sale"),
    ("shop-api", "2026-05-05T18:20:00Z", 30, False, "API saturation during the sale"),
    ("shop-web", "2026-06-12T07:00:00Z", 25, False, "Payment provider outage"),
    ("shop-web", "2026-08-20T01:00:00Z", 180, True, "Announced platform upgrade"),
    ("shop-web", "2026-10-06T09:30:00Z", 75, False, "Checkout timeouts"),
    ("shop-web", "2026-11-10T06:00:00Z", 600, False, "Full-day outage after a failed release"),
]


def load_service_level_demo(agreement: Agreement, people: dict[str, User], password: str) -> None:
    """Tickets and outages on an agreement that has the demo service levels, then the
    last closed month's report issued by the provider and signed off by both sides."""
    from contracts_app.tasks.importing import import_tasks

    now = utcnow()
    contributor = people["pia.provider-contributor@example.com"]
    import_tasks(
        agreement,
        membership_of(contributor, agreement.id),
        ticket_csv(agreement.start_date, now),
        contributor,
    )
    for system, start, minutes, planned, note in OUTAGES:
        began = dt.datetime.fromisoformat(start.replace("Z", "+00:00"))
        if began + dt.timedelta(minutes=minutes) > now:
            continue
        record_outage(
            agreement,
            membership_of(contributor, agreement.id),
            OutageInput(system, began, began + dt.timedelta(minutes=minutes), planned, note),
            contributor,
        )
    manager = people["paula.provider-manager@example.com"]
    period = Period.of(now.date()).previous()
    if period.first_day < agreement.start_date:
        return
    document = issue_service_report(
        agreement, membership_of(manager, agreement.id), period, manager
    )
    for email in ("carl.customer-approver@example.com", "peter.provider-approver@example.com"):
        sign_off(document.id, people[email], password)
