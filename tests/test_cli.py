from __future__ import annotations

import sqlalchemy as sa

from contracts_app.accounts.services import user_for_token
from contracts_app.agreements.models import Agreement
from contracts_app.annexes.models import Annex
from contracts_app.db import db
from contracts_app.scope.models import ScopeVersion
from workflows.annex_states import AnnexState


def test_users_create_and_token_prints_only_the_token(app):
    runner = app.test_cli_runner(mix_stderr=False) if _has_mix_stderr() else app.test_cli_runner()
    created = runner.invoke(
        args=["users", "create", "cli@example.com", "--name", "Cli", "--password", "long enough pw"]
    )
    assert created.exit_code == 0, created.output
    result = runner.invoke(args=["users", "token", "cli@example.com"])
    assert result.exit_code == 0
    token = result.stdout.strip()
    assert "\n" not in token and token.startswith("cat_")
    assert user_for_token(token).email == "cli@example.com"


def test_users_token_for_an_unknown_email_fails_clearly(app):
    result = app.test_cli_runner().invoke(args=["users", "token", "ghost@example.com"])
    assert result.exit_code != 0
    assert "No account ghost@example.com" in result.output


def test_demo_loads_two_agreements_with_annexes_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "demo-password" in result.output
    agreements = db.session.scalars(sa.select(Agreement).order_by(Agreement.code)).all()
    assert [a.code for a in agreements] == ["AMS-2026-01", "DBA-2026-02"]
    for agreement in agreements:
        base = db.session.scalar(
            sa.select(ScopeVersion).where(
                ScopeVersion.agreement_id == agreement.id, ScopeVersion.number == 1
            )
        )
        assert len(base.clauses) >= 15
        assert any(c.kind.value == "excluded" for c in base.clauses)
        assert any(c.cap_unit is not None for c in base.clauses)
        effective = db.session.scalars(
            sa.select(Annex).where(
                Annex.agreement_id == agreement.id, Annex.state == AnnexState.EFFECTIVE
            )
        ).all()
        assert len(effective) >= 3
        retroactive = [
            a
            for a in effective
            if any(
                b.activation_seq < a.activation_seq and b.effective_date > a.effective_date
                for b in effective
            )
        ]
        assert retroactive, "one annex is retroactive"
        superseded = db.session.scalar(
            sa.select(sa.func.count(ScopeVersion.id)).where(
                ScopeVersion.agreement_id == agreement.id, ScopeVersion.superseded_at.is_not(None)
            )
        )
        assert superseded > 0
    from contracts_app.escalations.models import Escalation, EscalationMessage

    levels = set(db.session.scalars(sa.select(Escalation.level)))
    assert {1, 2, 3} <= levels, "escalations at several levels"
    assert db.session.scalar(
        sa.select(sa.func.count(EscalationMessage.id)).where(EscalationMessage.by_deadline)
    ), "one climbed by deadline"
    again = runner.invoke(args=["demo"])
    assert "already loaded" in again.output


def _has_mix_stderr() -> bool:
    import inspect

    from click.testing import CliRunner

    return "mix_stderr" in inspect.signature(CliRunner.__init__).parameters


def test_tasks_import_command_reports_counts(app, tmp_path):
    from tests.factories import make_agreement, manager_of

    agreement = make_agreement()
    manager = manager_of(agreement)
    csv_file = tmp_path / "tickets.csv"
    csv_file.write_text("ref,title,category,date,hours\nT-1,One,support.request,2026-03-01,1\n")
    result = app.test_cli_runner().invoke(
        args=[
            "tasks",
            "import",
            str(csv_file),
            "--agreement",
            agreement.code,
            "--as",
            manager.email,
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created 1" in result.output
