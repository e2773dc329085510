"""The kinds of notification and how each is delivered unless the person says otherwise."""

from __future__ import annotations

import enum


class Kind(enum.StrEnum):
    ANNEX_AWAITS_APPROVAL = "annex_awaits_approval"
    ANNEX_AWAITS_SIGNATURE = "annex_awaits_signature"
    ANNEX_APPROVED = "annex_approved"
    ANNEX_REJECTED = "annex_rejected"
    ANNEX_SENT_BACK = "annex_sent_back"
    ANNEX_EFFECTIVE = "annex_effective"
    SUMMARY_AWAITS_SIGN_OFF = "summary_awaits_sign_off"
    SUMMARY_SIGNED_OFF = "summary_signed_off"
    SUMMARY_SIGNING_FAILED = "summary_signing_failed"
    TASK_VERDICT_CHANGED = "task_verdict_changed"
    TASK_NEEDS_ATTENTION = "task_needs_attention"
    CAP_THRESHOLD = "cap_threshold"
    CONTRACT_DATE = "contract_date"
    INVITATION = "invitation"
    STATUS_CHANGE_AWAITS = "status_change_awaits"
    ESCALATION_AWAITS_ME = "escalation_awaits_me"
    ESCALATION_CHANGED = "escalation_changed"


class Delivery(enum.StrEnum):
    IN_APP = "in_app"  # in the application only
    EMAIL = "email"  # and by email at once
    DIGEST = "digest"  # and in a daily email digest


# What needs the person's action or attention is emailed at once; the rest stays in the
# application unless the person asks for more.
DEFAULT_DELIVERY: dict[Kind, Delivery] = {
    Kind.ANNEX_AWAITS_APPROVAL: Delivery.EMAIL,
    Kind.ANNEX_AWAITS_SIGNATURE: Delivery.EMAIL,
    Kind.ANNEX_APPROVED: Delivery.IN_APP,
    Kind.ANNEX_REJECTED: Delivery.IN_APP,
    Kind.ANNEX_SENT_BACK: Delivery.IN_APP,
    Kind.ANNEX_EFFECTIVE: Delivery.IN_APP,
    Kind.SUMMARY_AWAITS_SIGN_OFF: Delivery.EMAIL,
    Kind.SUMMARY_SIGNED_OFF: Delivery.IN_APP,
    Kind.SUMMARY_SIGNING_FAILED: Delivery.EMAIL,
    Kind.TASK_VERDICT_CHANGED: Delivery.IN_APP,
    Kind.TASK_NEEDS_ATTENTION: Delivery.EMAIL,
    Kind.CAP_THRESHOLD: Delivery.EMAIL,
    Kind.CONTRACT_DATE: Delivery.EMAIL,
    Kind.INVITATION: Delivery.EMAIL,
    Kind.STATUS_CHANGE_AWAITS: Delivery.EMAIL,
    Kind.ESCALATION_AWAITS_ME: Delivery.EMAIL,
    Kind.ESCALATION_CHANGED: Delivery.IN_APP,
}

LABELS: dict[Kind, str] = {
    Kind.ANNEX_AWAITS_APPROVAL: "An annex awaits my approval",
    Kind.ANNEX_AWAITS_SIGNATURE: "An annex awaits my signature",
    Kind.ANNEX_APPROVED: "An annex I drafted was approved",
    Kind.ANNEX_REJECTED: "An annex I drafted was rejected",
    Kind.ANNEX_SENT_BACK: "An annex I drafted was sent back for changes",
    Kind.ANNEX_EFFECTIVE: "An annex I drafted became effective",
    Kind.SUMMARY_AWAITS_SIGN_OFF: "A summary awaits my sign-off",
    Kind.SUMMARY_SIGNED_OFF: "A summary was signed off",
    Kind.SUMMARY_SIGNING_FAILED: "A signed-off summary's PDF could not be prepared",
    Kind.TASK_VERDICT_CHANGED: "A task of mine changed verdict on a re-check",
    Kind.TASK_NEEDS_ATTENTION: "A task of mine needs attention",
    Kind.CAP_THRESHOLD: "A cap crossed a threshold",
    Kind.CONTRACT_DATE: "A contract date is near",
    Kind.INVITATION: "I am invited to an agreement",
    Kind.STATUS_CHANGE_AWAITS: "A change of an agreement's status awaits my answer",
    Kind.ESCALATION_AWAITS_ME: "An escalation awaits my answer",
    Kind.ESCALATION_CHANGED: "An escalation I take part in moved",
}
