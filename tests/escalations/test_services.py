"""Escalations: the ball, the deadlines that climb the ladder, resolution by both sides."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
import sqlalchemy as sa

from contracts_app.agreements.access import membership_of
from contracts_app.agreements.services import update_agreement
from contracts_app.db import db
from contracts_app.errors import Conflict, Forbidden, ValidationFailed
from contracts_app.escalations import services
from contracts_app.escalations.models import Escalation, EscalationMessage
from contracts_app.escalations.stats import escalation_stats
from contracts_app.tasks.models import Task
from tests.factories import (
    approver_of,
    make_agreement,
    manager_of,
    member_user,
    set_status,
    staff,
)
from workflows.task_states import TaskState

T0 = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def laddered_agreement():
    """A draft given a three-level ladder, then activated by both sides."""
    agreement = make_agreement(status="draft")
    staff(agreement)
    customer_head = member_user(agreement, "customer", "approver")
    provider_head = member_user(agreement, "provider", "approver")
    manager = manager_of(agreement)
    update_agreement(
        agreement,
        membership_of(manager, agreement.id),
        {
            "escalation_ladder": [
                {"level": 1, "name": "Service managers", "response_hours": "8", "members": {}},
                {
                    "level": 2,
                    "name": "Delivery heads",
                    "response_hours": "24",
                    "members": {
                        "customer": [customer_head.email],
                        "provider": [provider_head.email],
                    },
                },
                {"level": 3, "name": "Steering committee", "response_hours": "48.5"},
            ]
        },
        manager,
    )
    set_status(agreement, "active")
    return agreement


def raise_one(agreement, by=None, now=T0, **fields):  # now=None: the real time
    by = by or manager_of(agreement)
    return services.raise_escalation(
        agreement,
        membership_of(by, agreement.id),
        services.EscalationInput(subject=fields.pop("subject", "Disputed invoice"), **fields),
        by,
        now=now,
    )


def fire(escalation, event, user, at, **kwargs):
    return services.fire_event(escalation.id, event, user, now=at, **kwargs)


def test_raising_hands_the_ball_to_the_other_side_with_the_first_levels_deadline():
    agreement = laddered_agreement()
    escalation = raise_one(agreement)
    assert escalation.raised_side.value == "provider"
    assert escalation.ball_with.value == "customer"
    assert escalation.level == 1 and escalation.deadline == T0 + 8 * HOUR


def test_a_deadline_passing_climbs_exactly_one_level_once():
    agreement = laddered_agreement()
    escalation = raise_one(agreement)
    assert services.climb_overdue(T0 + 8 * HOUR - dt.timedelta(seconds=1)) == []
    climbed = services.climb_overdue(T0 + 8 * HOUR)
    assert [e.id for e in climbed] == [escalation.id]
    assert services.climb_overdue(T0 + 8 * HOUR) == [], "a job run twice climbs once"
    db.session.expire_all()
    stored = db.session.get(Escalation, escalation.id)
    assert stored.level == 2
    assert stored.deadline == T0 + 8 * HOUR + 24 * HOUR, "the next level's response time"
    climb = db.session.scalar(
        sa.select(EscalationMessage).where(EscalationMessage.event == "escalate")
    )
    assert climb.by_deadline and (climb.from_level, climb.to_level) == (1, 2)


def test_at_the_top_level_an_overdue_escalation_stays_overdue_and_says_so():
    agreement = laddered_agreement()
    escalation = raise_one(agreement)
    moment = T0
    for _ in range(2):
        moment = db.session.get(Escalation, escalation.id).deadline
        services.climb_overdue(moment)
    top = db.session.get(Escalation, escalation.id)
    assert top.level == 3
    assert services.climb_overdue(top.deadline + HOUR) == []
    assert services.is_overdue(top, top.deadline + HOUR)


def test_a_message_from_the_side_not_holding_the_ball_does_not_pass_it():
    agreement = laddered_agreement()
    escalation = raise_one(agreement)  # the ball is with the customer
    provider = approver_of(agreement, "provider")
    fire(escalation, "answer", provider, T0 + HOUR, message="Any news?")
    assert escalation.ball_with.value == "customer"
    assert escalation.deadline == T0 + 8 * HOUR, "the customer's deadline runs on"
    customer = approver_of(agreement, "customer")
    fire(escalation, "answer", customer, T0 + 2 * HOUR, message="We checked: see attached.")
    assert escalation.ball_with.value == "provider"
    assert escalation.deadline == T0 + 2 * HOUR + 8 * HOUR
    kinds = [m.kind.value for m in escalation.messages]
    assert kinds == ["event", "comment", "message"]


def test_resolution_needs_both_sides():
    agreement = laddered_agreement()
    escalation = raise_one(agreement)
    customer = approver_of(agreement, "customer")
    fire(escalation, "propose_resolution", customer, T0 + HOUR, message="Credit note of 2 h")
    assert escalation.state.value == "resolution_proposed"
    assert escalation.ball_with.value == "provider"
    other_customer = manager_of(agreement, other_side=True)
    with pytest.raises(Forbidden):
        fire(escalation, "accept_resolution", other_customer, T0 + 2 * HOUR)
    fire(escalation, "accept_resolution", manager_of(agreement), T0 + 3 * HOUR)
    assert escalation.state.value == "resolved" and escalation.resolved_at == T0 + 3 * HOUR


def test_a_declined_resolution_returns_the_ball_to_the_proposer():
    agreement = laddered_agreement()
    escalation = raise_one(agreement)
    customer = approver_of(agreement, "customer")
    fire(escalation, "propose_resolution", customer, T0 + HOUR, message="Credit note")
    fire(escalation, "decline_resolution", manager_of(agreement), T0 + 2 * HOUR, message="Too low")
    assert escalation.state.value == "open" and escalation.ball_with.value == "customer"


def test_ball_holding_times_add_up_to_the_open_time():
    agreement = laddered_agreement()
    escalation = raise_one(agreement)
    customer, provider = approver_of(agreement, "customer"), approver_of(agreement, "provider")
    fire(escalation, "answer", customer, T0 + 90 * dt.timedelta(minutes=1), message="One")
    fire(escalation, "answer", provider, T0 + 5 * HOUR, message="Two")
    fire(escalation, "escalate", provider, T0 + 6 * HOUR)
    fire(
        escalation,
        "propose_resolution",
        customer,
        T0 + 7 * HOUR + 1_234 * dt.timedelta(seconds=1),
        message="Three",
    )
    end = T0 + 30 * HOUR
    fire(escalation, "accept_resolution", provider, end)
    holds = services.holds_of(escalation, end)
    assert sum(h["seconds"] for h in holds) == int((end - T0).total_seconds())
    for earlier, later in itertools.pairwise(holds):
        assert earlier["to"] == later["from"], "holds tile the open time"
    totals = {
        side: sum(h["seconds"] for h in holds if h["side"] == side)
        for side in ("customer", "provider")
    }
    assert totals["customer"] == ((90 * 60) + (7 * 3600 + 1234 - 5 * 3600))


def test_escalating_by_choice_and_the_level_people_see():
    agreement = laddered_agreement()
    escalation = raise_one(agreement)
    customer = approver_of(agreement, "customer")
    fire(escalation, "escalate", customer, T0 + HOUR, seen_level=1)
    fire(escalation, "escalate", manager_of(agreement), T0 + HOUR, seen_level=1)
    assert escalation.level == 2, "two sides escalating from the same level give one climb"
    viewer = member_user(agreement, "customer", "viewer")
    with pytest.raises(Forbidden):
        fire(escalation, "escalate", viewer, T0 + HOUR)


def test_reopening_is_possible_within_30_days_of_the_resolution():
    agreement = laddered_agreement()
    escalation = raise_one(agreement)
    customer = approver_of(agreement, "customer")
    fire(escalation, "propose_resolution", customer, T0, message="Done")
    fire(escalation, "accept_resolution", manager_of(agreement), T0 + HOUR)
    with pytest.raises(Conflict):
        fire(escalation, "reopen", customer, T0 + HOUR + dt.timedelta(days=31), message="Again")
    fire(escalation, "reopen", customer, T0 + HOUR + dt.timedelta(days=30), message="Again")
    assert escalation.state.value == "open" and escalation.ball_with.value == "provider"


def test_a_tasks_escalate_event_raises_or_joins_its_escalation_and_resolution_decides_it():
    from contracts_app.tasks.services import TaskInput, fire_task_event, record_task

    agreement = laddered_agreement()
    contributor = member_user(agreement, "provider", "contributor")
    task = record_task(
        agreement,
        membership_of(contributor, agreement.id),
        TaskInput(
            ref="T-9",
            title="Migration of the search index",
            day=dt.date(2026, 5, 4),
            category="development",
            hours=Decimal("6"),
        ),
        contributor,
    )
    fire_task_event(task.id, "escalate", contributor, comment="We think this is maintenance.")
    escalation = services.escalation_of_task(task.id)
    assert escalation is not None and escalation.raised_side.value == "provider"
    later = escalation.created_at + HOUR
    customer = approver_of(agreement, "customer")
    fire(
        escalation,
        "propose_resolution",
        customer,
        later,
        message="Agreed, as maintenance",
        decision="accept",
    )
    fire(escalation, "accept_resolution", approver_of(agreement, "provider"), later + HOUR)
    assert db.session.get(Task, task.id).state == TaskState.ACCEPTED


def test_a_ladder_names_only_members_of_that_side():
    agreement = make_agreement(status="draft")
    stranger = member_user(agreement, "provider", "approver")
    manager = manager_of(agreement)
    with pytest.raises(ValidationFailed) as caught:
        update_agreement(
            agreement,
            membership_of(manager, agreement.id),
            {
                "escalation_ladder": [
                    {
                        "level": 1,
                        "name": "Heads",
                        "response_hours": "8",
                        "members": {"customer": [stranger.email]},
                    }
                ]
            },
            manager,
        )
    assert "escalation_ladder.0.members.customer" in caught.value.errors
    with pytest.raises(ValidationFailed) as caught:
        update_agreement(
            agreement,
            membership_of(manager, agreement.id),
            {"escalation_ladder": [{"level": 2, "name": "", "response_hours": "0.001"}]},
            manager,
        )
    assert set(caught.value.errors) == {
        "escalation_ladder.0.level",
        "escalation_ladder.0.name",
        "escalation_ladder.0.response_hours",
    }


def test_without_a_ladder_one_level_of_managers_16_hours():
    agreement = make_agreement()
    escalation = raise_one(agreement)
    assert escalation.deadline == T0 + 16 * HOUR
    assert services.climb_overdue(T0 + 17 * HOUR) == [], "one level: nowhere to climb"


def test_stats_count_levels_reached_by_deadline_and_time_with_each_side():
    agreement = laddered_agreement()
    first = raise_one(agreement)
    services.climb_overdue(T0 + 8 * HOUR)
    second = raise_one(agreement, subject="Cap ran out", now=T0 + HOUR)
    fire(second, "escalate", approver_of(agreement, "customer"), T0 + 2 * HOUR)
    fire(
        second, "propose_resolution", approver_of(agreement, "customer"), T0 + 3 * HOUR, message="x"
    )
    fire(second, "accept_resolution", manager_of(agreement), T0 + 5 * HOUR)
    stats = escalation_stats(
        agreement, dt.date(2026, 5, 1), dt.date(2026, 5, 31), now=T0 + 10 * HOUR
    )
    assert stats["levels_reached"] == [{"level": 2, "by_deadline": 1, "by_choice": 1}]
    assert stats["open_by_level"] == [{"level": 2, "count": 1}]
    assert stats["months"] == [{"month": "2026-05", "raised": 2, "resolved": 1}]
    assert stats["time_to_resolve_hours"] == {"count": 1, "median": "4.00", "p90": "4.00"}
    assert first.id != second.id


def test_a_climb_by_deadline_tells_the_next_levels_people_of_the_side_holding_the_ball():
    from contracts_app.notifications.models import Notification

    agreement = laddered_agreement()
    level_two = agreement.escalation_ladder[1]["members"]
    raise_one(agreement)  # the ball is with the customer
    services.climb_overdue(T0 + 8 * HOUR)
    told = db.session.execute(
        sa.select(Notification.kind, Notification.user_id).where(
            Notification.text.contains("because the deadline passed")
        )
    ).all()
    from contracts_app.accounts.models import User

    emails = {db.session.get(User, user_id).email: kind.value for kind, user_id in told}
    assert emails[level_two["customer"][0]] == "escalation_awaits_me"
    assert emails[level_two["provider"][0]] == "escalation_changed"


def test_response_times_run_on_the_service_calendars_business_hours():
    agreement = make_agreement(status="draft")
    manager = manager_of(agreement)
    update_agreement(
        agreement,
        membership_of(manager, agreement.id),
        {
            "calendar": {
                "timezone": "UTC",
                "working_days": ["mon", "tue", "wed", "thu", "fri"],
                "working_hours": ["08:00", "18:00"],
                "closed_days": [],
            }
        },
        manager,
    )
    staff(agreement)
    set_status(agreement, "active")
    friday_five = dt.datetime(2026, 5, 8, 17, 0, tzinfo=dt.UTC)
    escalation = raise_one(agreement, now=friday_five)
    # 16 business hours: 1 on Friday, 10 on Monday, 5 on Tuesday
    assert escalation.deadline == dt.datetime(2026, 5, 12, 13, 0, tzinfo=dt.UTC)
    monday_ten = dt.datetime(2026, 5, 11, 10, 0, tzinfo=dt.UTC)
    fire(escalation, "answer", approver_of(agreement, "customer"), monday_ten, message="Seen")
    holds = services.holds_of(escalation, monday_ten)
    assert holds[0]["seconds"] == 3 * 3600, "Friday 17-18 and Monday 8-10 on the calendar"


def test_time_left_is_named_in_the_units_of_the_agreements_clock():
    from contracts_app.escalations.presenters import escalation_view

    on_calendar = make_agreement(status="draft")
    update_agreement(
        on_calendar,
        membership_of(manager_of(on_calendar), on_calendar.id),
        {
            "calendar": {
                "timezone": "UTC",
                "working_days": ["mon", "tue", "wed", "thu", "fri"],
                "working_hours": ["08:00", "18:00"],
                "closed_days": [],
            }
        },
        manager_of(on_calendar),
    )
    staff(on_calendar)
    set_status(on_calendar, "active")
    on_wall_clock = laddered_agreement()
    for agreement, unit in ((on_calendar, "business hours"), (on_wall_clock, "hours")):
        escalation = raise_one(agreement, now=None)
        view = escalation_view(escalation, None, now=escalation.created_at)
        assert view["hours_unit"] == unit and view["hours_left"] is not None


def test_the_escalation_list_filters_out_the_resolved_ones(client):
    from tests.factories import signed_in

    agreement = laddered_agreement()
    open_one = raise_one(agreement, subject="Still open", now=None)
    done = raise_one(agreement, subject="Settled", now=None)
    provider, customer = manager_of(agreement), manager_of(agreement, other_side=True)
    fire(done, "propose_resolution", customer, None, message="Credit note")
    fire(done, "accept_resolution", provider, None, message="Agreed")
    assert open_one.state.value == "open" and done.state.value == "resolved"
    rows, total = services.list_escalations(agreement, resolved=False)
    assert [e.subject for e in rows] == ["Still open"] and total == 1
    page = signed_in(client, provider).get(
        f"/agreements/{agreement.code}/escalations?state=unresolved"
    )
    text = page.get_data(as_text=True)
    assert "Still open" in text and "Settled" not in text
    assert '<option value="unresolved" selected>' in text
