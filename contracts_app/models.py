"""Imports every model so that the metadata knows every table (Alembic, tests)."""

from contracts_app.accounts.models import ApiToken, User
from contracts_app.agreements.models import (
    Agreement,
    Invitation,
    Membership,
    Party,
    StatusChange,
)
from contracts_app.annexes.models import Annex, AnnexApproval, AnnexSignature
from contracts_app.audit.models import AuditEvent
from contracts_app.documents.models import Document, Render, SignOff
from contracts_app.escalations.models import BallHold, Escalation, EscalationMessage
from contracts_app.notifications.models import (
    AlertMark,
    Notification,
    NotificationPreference,
    NotificationSettings,
)
from contracts_app.scope.models import Clause, ScopeVersion
from contracts_app.service_levels.models import Outage, TicketClock
from contracts_app.tasks.import_models import ImportProfile, IncomingChange
from contracts_app.tasks.models import Task, VerdictChange

__all__ = [
    "Agreement",
    "AlertMark",
    "Annex",
    "AnnexApproval",
    "AnnexSignature",
    "ApiToken",
    "AuditEvent",
    "BallHold",
    "Clause",
    "Document",
    "Escalation",
    "EscalationMessage",
    "ImportProfile",
    "IncomingChange",
    "Invitation",
    "Membership",
    "Notification",
    "NotificationPreference",
    "NotificationSettings",
    "Outage",
    "Party",
    "Render",
    "ScopeVersion",
    "SignOff",
    "StatusChange",
    "Task",
    "TicketClock",
    "User",
    "VerdictChange",
]
