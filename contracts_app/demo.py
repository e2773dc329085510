"""A realistic demo: two IT service agreements with annexes, and users of every role."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from contracts_app.accounts.models import User
from contracts_app.accounts.services import create_user, user_by_email
from contracts_app.agreements import status as agreement_status
from contracts_app.agreements.access import membership_of
from contracts_app.agreements.members import accept_invitation, invite_member
from contracts_app.agreements.models import Agreement
from contracts_app.agreements.services import AgreementInput, create_agreement, update_agreement
from contracts_app.annexes.models import Annex
from contracts_app.annexes.services import AnnexInput, create_annex, fire_event
from contracts_app.db import db, utcnow
from contracts_app.service_levels import demo as service_level_demo

DEMO_PASSWORD = "demo-password"  # demo accounts only; `flask demo` refuses production


def _clause(
    ref: str,
    title: str,
    categories: list[str],
    *,
    kind: str = "included",
    description: str = "",
    systems: list[str] | None = None,
    keywords: list[str] | None = None,
    cap: tuple[str, str, str] | None = None,
    per_task: str | None = None,
    rate: str | None = None,
) -> dict[str, Any]:
    return {
        "ref": ref,
        "title": title,
        "description": description,
        "kind": kind,
        "categories": categories,
        "systems": systems or [],
        "keywords": keywords or [],
        "cap": {"unit": cap[0], "limit": cap[1], "period": cap[2]} if cap else None,
        "per_task_limit": per_task,
        "rate": rate,
    }


SHOP_SCOPE = [
    _clause(
        "1.1",
        "Incident resolution, priority 1 and 2",
        ["support.incident"],
        systems=["shop-web", "shop-api"],
        description="Restore service for outages and severe degradations, 24x7.",
        keywords=["outage", "down", "error 500", "checkout broken"],
        cap=("hours", "120", "month"),
        per_task="16",
        rate="95.00",
    ),
    _clause(
        "1.2",
        "Incident resolution, priority 3 and 4",
        ["support.incident.minor"],
        systems=["shop-web", "shop-api"],
        keywords=["bug", "glitch", "layout"],
        cap=("hours", "80", "month"),
        per_task="8",
        rate="85.00",
    ),
    _clause(
        "1.3",
        "Service requests",
        ["support.request"],
        keywords=["access", "account", "password reset"],
        cap=("count", "200", "month"),
        rate="60.00",
    ),
    _clause(
        "1.4",
        "Problem management and root-cause analysis",
        ["support.problem"],
        keywords=["recurring", "root cause"],
        cap=("hours", "40", "quarter"),
        rate="95.00",
    ),
    _clause(
        "2.1",
        "Corrective maintenance",
        ["maintenance.corrective"],
        systems=["shop-web", "shop-api", "shop-admin"],
        keywords=["fix", "defect"],
        cap=("hours", "300", "quarter"),
        per_task="24",
        rate="85.00",
    ),
    _clause(
        "2.2",
        "Security patches of frameworks and libraries",
        ["maintenance.security"],
        keywords=["cve", "patch", "vulnerability"],
        cap=("hours", "60", "quarter"),
        rate="95.00",
    ),
    _clause(
        "2.3",
        "Minor adaptive changes",
        ["maintenance.adaptive"],
        keywords=["small change", "text change"],
        cap=("amount", "15000.00", "quarter"),
        per_task="2500.00",
    ),
    _clause(
        "2.4",
        "Dependency and runtime upgrades",
        ["maintenance.upgrade"],
        keywords=["upgrade", "php", "node"],
        cap=("hours", "120", "year"),
        rate="85.00",
    ),
    _clause(
        "3.1",
        "Monitoring of availability and performance",
        ["operations.monitoring"],
        keywords=["monitoring", "alert", "latency"],
        rate="70.00",
    ),
    _clause(
        "3.2",
        "Backups and restore tests",
        ["operations.backup"],
        keywords=["backup", "restore"],
        cap=("count", "4", "year"),
    ),
    _clause(
        "3.3",
        "Release deployment to production",
        ["operations.release"],
        systems=["shop-web", "shop-api"],
        keywords=["deploy", "release"],
        cap=("count", "8", "month"),
    ),
    _clause(
        "3.4",
        "Performance tuning of the catalogue search",
        ["operations.performance"],
        systems=["shop-search"],
        keywords=["slow search", "solr"],
        cap=("hours", "20", "month"),
        rate="95.00",
    ),
    _clause(
        "4.1",
        "Monthly service report and review meeting",
        ["governance.reporting"],
        keywords=["report", "kpi"],
    ),
    _clause(
        "4.2",
        "Emergency change advisory board",
        ["governance.change"],
        keywords=["cab", "emergency change"],
        cap=("count", "6", "quarter"),
    ),
    _clause(
        "9.1",
        "New features and functional evolutions",
        ["development"],
        kind="excluded",
        description="Evolutions are quoted and ordered separately.",
        keywords=["new feature", "redesign", "campaign"],
    ),
    _clause(
        "9.2",
        "Third-party payment provider outages",
        ["support.incident.thirdparty"],
        kind="excluded",
        keywords=["psp", "payment provider"],
    ),
    _clause(
        "9.3",
        "Hardware and hosting",
        ["infrastructure"],
        kind="excluded",
        keywords=["server", "hosting", "network"],
    ),
    _clause(
        "9.4",
        "Content entry and merchandising",
        ["business.content"],
        kind="excluded",
        keywords=["product data", "banner", "price update"],
    ),
]

DBA_SCOPE = [
    _clause(
        "1.1",
        "Database incident response",
        ["dba.incident"],
        systems=["pg-erp", "pg-wms"],
        keywords=["database down", "replication lag", "deadlock"],
        cap=("hours", "60", "month"),
        per_task="12",
        rate="110.00",
    ),
    _clause(
        "1.2",
        "Backup supervision and restore drills",
        ["dba.backup"],
        keywords=["backup", "pitr", "restore"],
        cap=("count", "12", "year"),
        rate="110.00",
    ),
    _clause(
        "1.3",
        "Minor version upgrades",
        ["dba.upgrade.minor"],
        keywords=["minor upgrade", "patch release"],
        cap=("count", "4", "year"),
    ),
    _clause(
        "1.4",
        "Query tuning",
        ["dba.performance"],
        keywords=["slow query", "index", "explain"],
        cap=("hours", "30", "month"),
        per_task="6",
        rate="110.00",
    ),
    _clause(
        "1.5",
        "User and role administration",
        ["dba.access"],
        keywords=["grant", "role", "user"],
        cap=("count", "50", "month"),
    ),
    _clause(
        "1.6",
        "Capacity monitoring and forecasts",
        ["dba.capacity"],
        keywords=["disk", "growth", "capacity"],
    ),
    _clause(
        "2.1",
        "Replication and failover management",
        ["dba.ha"],
        systems=["pg-erp"],
        keywords=["failover", "standby", "patroni"],
        cap=("hours", "20", "quarter"),
        rate="120.00",
    ),
    _clause(
        "2.2",
        "Scheduled maintenance (vacuum, reindex)",
        ["dba.maintenance"],
        keywords=["vacuum", "reindex", "bloat"],
        cap=("hours", "16", "month"),
    ),
    _clause(
        "2.3",
        "Security hardening and audit findings",
        ["dba.security"],
        keywords=["audit", "ssl", "pg_hba"],
        cap=("hours", "40", "year"),
        rate="120.00",
    ),
    _clause(
        "2.4",
        "Schema change reviews",
        ["dba.change"],
        keywords=["migration review", "ddl"],
        cap=("count", "20", "month"),
        per_task="4",
    ),
    _clause(
        "3.1",
        "Quarterly health check report",
        ["governance.reporting"],
        keywords=["health check", "report"],
        cap=("count", "1", "quarter"),
    ),
    _clause(
        "3.2",
        "On-call outside business hours",
        ["dba.oncall"],
        keywords=["night", "weekend", "on-call"],
        cap=("hours", "24", "month"),
        rate="150.00",
    ),
    _clause(
        "9.1",
        "Major version upgrades",
        ["dba.upgrade.major"],
        kind="excluded",
        keywords=["major upgrade", "pg 18"],
        description="Quoted as a project.",
    ),
    _clause(
        "9.2",
        "Application SQL development",
        ["development"],
        kind="excluded",
        keywords=["stored procedure", "report query"],
    ),
    _clause(
        "9.3",
        "Operating system administration",
        ["infrastructure.os"],
        kind="excluded",
        keywords=["kernel", "os patch"],
    ),
    _clause(
        "9.4",
        "Data migrations from legacy systems",
        ["dba.migration"],
        kind="excluded",
        keywords=["legacy", "etl"],
    ),
]

DEMO_PEOPLE = [
    # (email, name, side, role)
    ("clara.customer-manager@example.com", "Clara Brandt", "customer", "manager"),
    ("carl.customer-approver@example.com", "Carl Jensen", "customer", "approver"),
    ("cora.customer-contributor@example.com", "Cora Lind", "customer", "contributor"),
    ("cyril.customer-viewer@example.com", "Cyril Holm", "customer", "viewer"),
    ("paula.provider-manager@example.com", "Paula Reyes", "provider", "manager"),
    ("peter.provider-approver@example.com", "Peter Okafor", "provider", "approver"),
    ("pia.provider-contributor@example.com", "Pia Novak", "provider", "contributor"),
    ("piet.provider-viewer@example.com", "Piet de Vries", "provider", "viewer"),
]
ADMIN = ("admin@example.com", "Ada Admin")


def load_demo() -> str:
    """Create the demo data unless it is there; returns the text to print."""
    if db.session.scalar(sa.select(Agreement.id).where(Agreement.code == "AMS-2026-01")):
        return "The demo is already loaded.\n" + _accounts_text()
    admin = user_by_email(ADMIN[0]) or create_user(ADMIN[0], ADMIN[1], DEMO_PASSWORD, admin=True)
    people: dict[str, User] = {}
    for email, name, _side, _role in DEMO_PEOPLE:
        people[email] = user_by_email(email) or create_user(email, name, DEMO_PASSWORD)

    shop = create_agreement(
        AgreementInput(
            code="AMS-2026-01",
            title="Application maintenance and support of the Nordlicht online shop",
            customer="Nordlicht Retail GmbH",
            provider="Kestrel IT Services",
            start_date=dt.date(2026, 1, 1),
            end_date=dt.date(2027, 12, 31),
            currency="EUR",
            value=Decimal("480000.00"),
            sla_notes="P1: response 30 min, restore 4 h, 24x7.\nP2: response 2 h, restore 1 business day.\n"
            "Availability of shop-web 99.8 % per month. Monthly KPI report by the 5th working day.",
            scope=SHOP_SCOPE,
            renewal="tacit",
            renewal_months=12,
            notice_days=90,
            alert_days=[365, 90, 30, 7],
            service_levels=service_level_demo.SERVICE_LEVELS,
            monthly_fee=service_level_demo.MONTHLY_FEE,
            calendar=service_level_demo.CALENDAR,
        ),
        admin,
    )
    dba = create_agreement(
        AgreementInput(
            code="DBA-2026-02",
            title="PostgreSQL database administration for ERP and warehouse systems",
            customer="Harbour Logistics AG",
            provider="Kestrel IT Services",
            start_date=dt.date(2026, 3, 1),
            end_date=None,
            currency="EUR",
            value=Decimal("96000.00"),
            sla_notes="Business hours 08:00-18:00 CET; on-call by clause 3.2. Restore point objective 15 min.",
            scope=DBA_SCOPE,
        ),
        admin,
    )
    for agreement in (shop, dba):
        _staff(agreement, admin, people)
    update_agreement(shop, None, {"escalation_ladder": SHOP_LADDER}, admin)
    for agreement in (shop, dba):
        _activate(agreement, people)

    manager = people["paula.provider-manager@example.com"]
    shop_annexes = [
        AnnexInput(
            title="Payment service provider switch",
            effective_date=dt.date(2026, 4, 1),
            rationale="The shop moves to a new payment provider; its integration is maintained from April.",
            changes=[
                {
                    "op": "add",
                    "item": _clause(
                        "2.5",
                        "Maintenance of the payment integration",
                        ["maintenance.payment"],
                        systems=["shop-api"],
                        keywords=["payment", "checkout", "psp"],
                        cap=("hours", "30", "month"),
                        rate="95.00",
                    ),
                }
            ],
        ),
        AnnexInput(
            title="Peak season support",
            effective_date=dt.date(2026, 10, 1),
            rationale="More incidents expected from October; search tuning moves to the new search clause.",
            changes=[
                {
                    "op": "modify",
                    "ref": "1.2",
                    "fields": {"cap": {"unit": "hours", "limit": "160", "period": "month"}},
                },
                {"op": "remove", "ref": "3.4"},
            ],
        ),
        AnnexInput(
            title="Rate indexation, retroactive to March",
            effective_date=dt.date(2026, 3, 1),
            rationale="Indexation agreed in the steering committee of June, applying from 1 March.",
            changes=[
                {"op": "modify", "ref": "1.1", "fields": {"rate": "98.00"}},
                {"op": "modify", "ref": "2.1", "fields": {"rate": "88.00"}},
            ],
        ),
    ]
    for data in shop_annexes:
        _agree(create_annex(shop, membership_of(manager, shop.id), data, manager), people)
    create_annex(
        shop,
        membership_of(manager, shop.id),
        AnnexInput(
            title="Accessibility fixes (draft)",
            effective_date=dt.date(2027, 1, 1),
            rationale="Ongoing corrections to meet the accessibility act.",
            changes=[
                {
                    "op": "add",
                    "item": _clause(
                        "2.6",
                        "Accessibility corrections",
                        ["maintenance.accessibility"],
                        keywords=["wcag", "a11y"],
                        cap=("hours", "40", "quarter"),
                    ),
                }
            ],
        ),
        manager,
    )

    dba_annexes = [
        AnnexInput(
            title="Warehouse replica added to high availability",
            effective_date=dt.date(2026, 6, 1),
            rationale="The WMS database gets a standby.",
            changes=[{"op": "modify", "ref": "2.1", "fields": {"systems": ["pg-erp", "pg-wms"]}}],
        ),
        AnnexInput(
            title="On-call hours increased",
            effective_date=dt.date(2026, 9, 1),
            rationale="Night batch windows extended.",
            changes=[
                {
                    "op": "modify",
                    "ref": "3.2",
                    "fields": {"cap": {"unit": "hours", "limit": "40", "period": "month"}},
                }
            ],
        ),
        AnnexInput(
            title="Logical replication setup, retroactive",
            effective_date=dt.date(2026, 5, 1),
            rationale="Work started in May before the annex was signed.",
            changes=[
                {
                    "op": "add",
                    "item": _clause(
                        "2.5",
                        "Logical replication to the reporting database",
                        ["dba.replication"],
                        keywords=["logical replication", "publication"],
                        cap=("hours", "24", "quarter"),
                        rate="120.00",
                    ),
                }
            ],
        ),
    ]
    for data in dba_annexes:
        _agree(create_annex(dba, membership_of(manager, dba.id), data, manager), people)
    _awaiting_the_customer(dba, people)
    invite_member(
        shop,
        membership_of(people["clara.customer-manager@example.com"], shop.id),
        "new.customer-analyst@example.com",
        "customer",
        "viewer",
        people["clara.customer-manager@example.com"],
    )
    _demo_tasks(shop, people["pia.provider-contributor@example.com"])
    _demo_import_profiles(shop, people["paula.provider-manager@example.com"])
    _demo_escalations(shop, people)
    _demo_work(shop, dba, people, admin)
    service_level_demo.load_service_level_demo(shop, people, DEMO_PASSWORD)
    return "Demo loaded: AMS-2026-01 and DBA-2026-02.\n" + _accounts_text()


SHOP_LADDER = [
    {"level": 1, "name": "Service managers", "response_hours": "8", "members": {}},
    {
        "level": 2,
        "name": "Delivery heads",
        "response_hours": "24",
        "members": {
            "customer": ["carl.customer-approver@example.com"],
            "provider": ["peter.provider-approver@example.com"],
        },
    },
    {"level": 3, "name": "Steering committee", "response_hours": "72", "members": {}},
]


def _demo_escalations(agreement: Agreement, people: dict[str, User]) -> None:
    """At several levels: one climbed because the deadline passed, one on a disputed task
    awaiting a resolution, one escalated by choice, one resolved."""
    from contracts_app.escalations.services import (
        EscalationInput,
        climb_overdue,
        raise_escalation,
    )
    from contracts_app.escalations.services import (
        fire_event as fire_escalation,
    )
    from contracts_app.tasks.models import Task
    from contracts_app.tasks.services import fire_task_event

    now = utcnow()
    clara = people["clara.customer-manager@example.com"]
    paula = people["paula.provider-manager@example.com"]
    carl = people["carl.customer-approver@example.com"]
    peter = people["peter.provider-approver@example.com"]

    def raised(user: User, subject: str, when: dt.datetime, **fields: Any) -> Any:
        return raise_escalation(
            agreement,
            membership_of(user, agreement.id),
            EscalationInput(subject=subject, **fields),
            user,
            now=when,
        )

    late = raised(
        clara,
        "Incident hours of clause 1.2 ran out mid-month",
        now - dt.timedelta(days=2),
        clause="1.2",
        description="November's incidents used the whole cap by the 12th; we need cover.",
    )
    climb_overdue(now - dt.timedelta(days=1))  # the provider let level 1's 8 hours pass

    disputed = db.session.scalar(
        sa.select(Task).where(Task.agreement_id == agreement.id, Task.ref == "DEV-4001")
    )
    fire_task_event(
        disputed.id,
        "escalate",
        people["pia.provider-contributor@example.com"],
        comment="The loyalty pages reuse the checkout: we see them as maintenance.",
    )
    from contracts_app.escalations.services import escalation_of_task

    task_escalation = escalation_of_task(disputed.id)
    fire_escalation(
        task_escalation.id,
        "propose_resolution",
        carl,
        message="Half as maintenance: we accept the task if the next one is quoted.",
        decision="accept",
    )

    choice = raised(
        paula, "Payment provider outage: credit for the downtime", now - dt.timedelta(hours=30)
    )
    fire_escalation(
        choice.id,
        "answer",
        carl,
        message="We consider a 5 % credit.",
        now=now - dt.timedelta(hours=20),
    )
    fire_escalation(
        choice.id,
        "escalate",
        peter,
        message="Beyond our mandate.",
        now=now - dt.timedelta(hours=10),
    )
    fire_escalation(
        choice.id,
        "escalate",
        carl,
        message="For the steering committee.",
        now=now - dt.timedelta(hours=2),
    )

    done = raised(clara, "Backup restore test postponed", now - dt.timedelta(days=20))
    fire_escalation(
        done.id,
        "propose_resolution",
        paula,
        message="Rescheduled for the 10th.",
        now=now - dt.timedelta(days=19),
    )
    fire_escalation(
        done.id,
        "accept_resolution",
        clara,
        message="Fine.",
        now=now - dt.timedelta(days=19) + dt.timedelta(hours=3),
    )
    assert late.level == 2


def _staff(agreement: Agreement, admin: User, people: dict[str, User]) -> None:
    """Through invitations: the administrator invites each side's first manager, who
    invites the rest of their side; everyone accepts."""
    by_side: dict[str, list[tuple[str, str]]] = {"customer": [], "provider": []}
    for email, _name, side, role in DEMO_PEOPLE:
        by_side[side].append((email, role))
    for side, members in by_side.items():
        manager_email = next(email for email, role in members if role == "manager")
        invitation = invite_member(agreement, None, manager_email, side, "manager", admin)
        accept_invitation(invitation.id, people[manager_email])
        manager = people[manager_email]
        for email, role in members:
            if email == manager_email:
                continue
            invitation = invite_member(
                agreement, membership_of(manager, agreement.id), email, side, role, manager
            )
            accept_invitation(invitation.id, people[email])


def _activate(agreement: Agreement, people: dict[str, User]) -> None:
    """The provider asks, the customer confirms, from the start of the term."""
    for email, event in (
        ("paula.provider-manager@example.com", "activate"),
        ("clara.customer-manager@example.com", "confirm"),
    ):
        user = people[email]
        agreement_status.fire_event(
            agreement,
            membership_of(user, agreement.id),
            event,
            user,
            reason="Signed by both parties.",
            today=max(dt.date.today(), agreement.start_date),
        )


APPROVERS = ("carl.customer-approver@example.com", "peter.provider-approver@example.com")


def _agree(annex: Annex, people: dict[str, User]) -> None:
    """The real path: submitted, approved and signed by an approver of each side."""
    today = max(dt.date.today(), annex.effective_date)
    fire_event(annex.id, "submit", people["paula.provider-manager@example.com"], today=today)
    for event, extra in (("approve", {}), ("sign", {"password": DEMO_PASSWORD})):
        for email in APPROVERS:
            fire_event(annex.id, event, people[email], today=today, **extra)


def _awaiting_the_customer(agreement: Agreement, people: dict[str, User]) -> None:
    """An annex the provider approved, waiting for the customer's approval."""
    manager = people["paula.provider-manager@example.com"]
    annex = create_annex(
        agreement,
        membership_of(manager, agreement.id),
        AnnexInput(
            title="Upgrade to PostgreSQL 18",
            effective_date=max(dt.date.today(), dt.date(2026, 12, 1)),
            rationale="Major version upgrade of pg-erp and pg-wms in the December window.",
            changes=[
                {
                    "op": "add",
                    "item": _clause(
                        "2.6",
                        "Major version upgrade",
                        ["dba.upgrade"],
                        systems=["pg-erp", "pg-wms"],
                        cap=("hours", "60", "term"),
                        rate="120.00",
                    ),
                }
            ],
        ),
        manager,
    )
    fire_event(annex.id, "submit", manager)
    fire_event(annex.id, "approve", people["peter.provider-approver@example.com"])


SHOP_TICKETS = [
    # (ref, title, category, system, date, hours)
    ("INC-1001", "Checkout returns error 500", "support.incident", "shop-web", "2026-03-03", "3.5"),
    ("INC-1002", "Payment page outage", "support.incident", "shop-api", "2026-03-09", "6"),
    ("INC-1003", "Search results empty", "support.incident.minor", "shop-web", "2026-03-12", "2"),
    ("REQ-2001", "New admin account for marketing", "support.request", "", "2026-03-13", "0.5"),
    ("MNT-3001", "Patch the image library (CVE)", "maintenance.security", "", "2026-04-02", "4"),
    ("MNT-3002", "Upgrade PHP runtime", "maintenance.upgrade", "", "2026-04-15", "12"),
    ("DEV-4001", "New loyalty programme pages", "development", "", "2026-04-20", "40"),
    (
        "INC-1004",
        "Slow category pages during the sale",
        "support.incident",
        "shop-web",
        "2026-05-05",
        "9",
    ),
    ("OPS-5001", "Quarterly restore test", "operations.backup", "", "2026-06-10", "3"),
    (
        "INC-1005",
        "Orders stuck after payment provider outage",
        "support.incident.thirdparty",
        "shop-api",
        "2026-06-12",
        "5",
    ),
    ("REQ-2002", "Banner update for the summer sale", "business.content", "", "2026-06-20", "1"),
    ("INC-1006", "Checkout timeouts", "support.incident", "shop-web", "2026-10-06", "7"),
    ("REQ-2003", "Password reset for a customer service agent", "", "", "2026-10-08", "0.25"),
    (
        "MNT-3003",
        "Payment integration: new API version",
        "maintenance.payment",
        "shop-api",
        "2026-10-14",
        "18",
    ),
    ("INC-1007", "Order export fails", "support.incident.minor", "shop-admin", "2026-11-02", "2"),
    (
        "INC-1008",
        "Full-day outage after a failed release",
        "support.incident",
        "shop-web",
        "2026-11-10",
        "18",
    ),
]


def _demo_tasks(agreement: Agreement, contributor: User) -> None:
    from contracts_app.tasks.importing import import_tasks

    lines = ["ref,title,category,system,date,hours"]
    lines += [",".join(row) for row in SHOP_TICKETS]
    import_tasks(
        agreement, membership_of(contributor, agreement.id), "\n".join(lines) + "\n", contributor
    )


def _demo_import_profiles(agreement: Agreement, manager: User) -> None:
    """One import profile per ticketing tool, for the exports in docs/samples/."""
    from contracts_app.tasks.profiles import put_profile
    from contracts_app.tasks.sample_profiles import SAMPLE_PROFILES

    for name, body in SAMPLE_PROFILES.items():
        put_profile(agreement, membership_of(manager, agreement.id), name, body, manager)


def _accounts_text() -> str:
    lines = [
        "Demo accounts (password for all: " + DEMO_PASSWORD + "):",
        f"  {ADMIN[0]:<42} administrator",
    ]
    lines += [f"  {email:<42} {side} {role}" for email, _name, side, role in DEMO_PEOPLE]
    return "\n".join(lines)


def _demo_work(agreement: Agreement, dba: Agreement, people: dict[str, User], admin: User) -> None:
    """Something waiting in every demo account's My work: an annex and a summary awaiting
    the approvers, a summary signed off (news for every member), tasks whose verdict a new
    annex changed (news for who recorded them), tasks over cap for the deciders."""
    from contracts_app.annexes.models import Annex
    from contracts_app.documents.services import issue_document, sign_off
    from contracts_app.tasks.services import TaskInput, record_task

    manager = people["paula.provider-manager@example.com"]
    cora = people["cora.customer-contributor@example.com"]
    record_task(
        agreement,
        membership_of(cora, agreement.id),
        TaskInput(
            ref="CNT-6001",
            title="Texts of the winter campaign landing page",
            category="business.content",
            day=dt.date(2026, 9, 15),
            hours=Decimal("3"),
        ),
        cora,
    )
    content = create_annex(
        agreement,
        membership_of(manager, agreement.id),
        AnnexInput(
            title="Content updates in scope",
            effective_date=dt.date(2026, 6, 1),
            rationale="Small content changes are part of the service from June.",
            changes=[
                {"op": "remove", "ref": "9.4"},
                {
                    "op": "add",
                    "item": _clause(
                        "5.1",
                        "Content updates",
                        ["business.content"],
                        keywords=["banner", "texts"],
                        cap=("hours", "10", "month"),
                    ),
                },
            ],
        ),
        manager,
    )
    _agree(content, people)  # re-checks REQ-2002 and CNT-6001: their recorders hear of it
    draft = db.session.scalar(
        sa.select(Annex).where(Annex.agreement_id == agreement.id, Annex.state == "draft")
    )
    if draft is not None:
        fire_event(draft.id, "submit", manager)  # both sides' approvers are asked
    dba_summary = issue_document(dba, None, dt.date(2026, 9, 30), admin)
    for approver in ("carl.customer-approver@example.com", "peter.provider-approver@example.com"):
        sign_off(dba_summary.id, people[approver], DEMO_PASSWORD)
    issue_document(agreement, membership_of(manager, agreement.id), dt.date(2026, 10, 31), manager)
