"""Command-line interface: ``flask --app wsgi db|users|demo ...``."""

from __future__ import annotations

import click
from alembic import command
from flask import Flask, current_app
from flask.cli import AppGroup

from contracts_app.errors import DomainError
from contracts_app.schema_migrations import alembic_config

db_cli = AppGroup("db", help="Database schema migrations (Alembic).")
users_cli = AppGroup("users", help="User accounts and API tokens.")
annexes_cli = AppGroup("annexes", help="Annex workflow jobs.")
tasks_cli = AppGroup("tasks", help="Tasks and their scope checks.")
audit_cli = AppGroup("audit", help="The tamper-evident audit trail.")
agreements_cli = AppGroup("agreements", help="Agreement status jobs.")
escalations_cli = AppGroup("escalations", help="Escalation deadline jobs.")


@agreements_cli.command("apply-due")
def agreements_apply_due() -> None:
    """Agreed status changes whose date has come take effect; ended terms expire (daily)."""
    from contracts_app.agreements.status import apply_due

    changed = apply_due()
    for agreement in changed:
        click.echo(f"{agreement.code}: {agreement.status.value}")
    click.echo(f"{len(changed)} agreement(s) changed status.", err=True)


@escalations_cli.command("climb-overdue")
def escalations_climb_overdue() -> None:
    """Open escalations whose response time has passed climb one level (run often)."""
    from contracts_app.escalations.services import climb_overdue

    climbed = climb_overdue()
    for escalation in climbed:
        click.echo(f"{escalation.agreement.code} {escalation.label}: level {escalation.level}")
    click.echo(f"{len(climbed)} escalation(s) climbed.", err=True)


@audit_cli.command("verify")
@click.argument("code", required=False)
def audit_verify(code: str | None) -> None:
    """Check the audit chain of agreement CODE (or of every chain); exit 1 if one is broken."""
    import sqlalchemy as sa

    from contracts_app.agreements.models import Agreement
    from contracts_app.audit.services import all_chains, chain_of, verify_chain
    from contracts_app.db import db

    if code:
        agreement_id = db.session.scalar(sa.select(Agreement.id).where(Agreement.code == code))
        if agreement_id is None:
            raise click.ClickException(f"No agreement {code}.")
        chains = [chain_of(agreement_id)]
    else:
        chains = all_chains()
    broken = 0
    for chain in chains:
        report = verify_chain(chain)
        if report.intact:
            click.echo(f"{chain}: intact, {report.events} events, head {report.head}")
        else:
            broken += 1
            click.echo(f"{chain}: BROKEN at event {report.broken_at}: {report.reason}")
    if broken:
        raise SystemExit(1)


def _config():
    return alembic_config(current_app.config["DATABASE_URL"])


def _revision() -> str | None:
    from alembic.migration import MigrationContext

    from contracts_app.db import db

    with db.engine.connect() as connection:  # type: ignore[union-attr]
        return MigrationContext.configure(connection).get_current_revision()


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head).

    When it brought the database to head from an older revision, the stored verdict
    explanations are then written in this version's words (``tasks reword-verdicts``):
    a new version's wording reaches tasks checked before it, and no verdict changes.
    It runs after the migrations, when the tables are what the application reads."""
    before = _revision()
    command.upgrade(_config(), revision)
    if revision == "head" and before is not None and _revision() != before:
        from contracts_app.tasks.services import reword_stored_verdicts

        _report_rewording(reword_stored_verdicts())


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (e.g. base, or -1)."""
    command.downgrade(_config(), revision)


@db_cli.command("current")
def db_current() -> None:
    """Show the revision the database is at."""
    command.current(_config())


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate", is_flag=True, help="Draft it from the models (then review it).")
def db_revision(message: str, autogenerate: bool) -> None:
    """Create a new migration file."""
    command.revision(_config(), message=message, autogenerate=autogenerate)


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--password", required=True)
@click.option("--admin", is_flag=True)
def users_create(email: str, name: str, password: str, admin: bool) -> None:
    """Create a user account."""
    from contracts_app.accounts.services import create_user

    try:
        user = create_user(email, name, password, admin=admin)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Created {user.email}{' (administrator)' if admin else ''}.", err=True)


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="cli", show_default=True)
@click.option("--days", default=90, show_default=True, help="0 for a token that does not expire.")
def users_token(email: str, name: str, days: int) -> None:
    """Print a new API token for EMAIL (only the token, on stdout)."""
    from contracts_app.accounts.services import issue_token, user_by_email

    user = user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account {email}.")
    _token, plain = issue_token(user, name, days or None)
    click.echo(plain)


@click.command("demo")
def demo_command() -> None:
    """Load the demo agreements and users (once; a second run changes nothing)."""
    from contracts_app.demo import load_demo

    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("The demo is not loaded into a production database.")
    click.echo(load_demo())


@annexes_cli.command("activate-due")
def annexes_activate_due() -> None:
    """Make scheduled annexes whose effective date has come effective (run daily)."""
    from contracts_app.annexes.services import activate_due

    failures: list[tuple[int, str]] = []
    activated = activate_due(failures=failures)
    for annex in activated:
        click.echo(f"{annex.agreement.code} {annex.label}: {annex.state.value}")
    for annex_id, error in failures:
        click.echo(f"annex {annex_id} failed: {error}", err=True)
    click.echo(f"{len(activated)} annex(es) processed, {len(failures)} failed.", err=True)
    if failures:
        raise SystemExit(1)


@tasks_cli.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--agreement", "code", required=True, help="The agreement's code.")
@click.option("--as", "email", default=None, help="The recording user (default: an administrator).")
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows, skip the invalid ones.")
def tasks_import(file, code: str, email: str | None, skip_invalid: bool) -> None:
    """Import a CSV of tasks into an agreement; each is checked against its scope."""
    import sqlalchemy as sa

    from contracts_app.accounts.models import User
    from contracts_app.accounts.services import user_by_email
    from contracts_app.agreements.access import agreement_for
    from contracts_app.db import db
    from contracts_app.tasks.importing import import_tasks

    user = (
        user_by_email(email)
        if email
        else db.session.scalar(sa.select(User).where(User.is_admin.is_(True)).order_by(User.id))
    )
    if user is None:
        raise click.ClickException("No such user; give --as EMAIL of a member or an administrator.")
    text = file.read()
    rows = max(0, text.count("\n") - 1)
    try:
        agreement, membership = agreement_for(user, code)
        with click.progressbar(length=rows, label=f"Importing into {code}") as bar:
            report = import_tasks(
                agreement, membership, text, user, skip_invalid=skip_invalid, progress=bar.update
            )
    except DomainError as exc:
        details = getattr(exc, "errors", {})
        for where, messages in list(details.items())[:50]:
            # an import's problems read "Line 6, date: ..." already
            prefix = "" if where.startswith("line ") else f"{where}: "
            click.echo(f"  {prefix}{' '.join(messages)}", err=True)
        raise click.ClickException(exc.message) from None
    for problem in report.invalid[:50]:
        click.echo(f"  {' '.join(problem['messages'])}", err=True)
    click.echo(
        f"Created {report.created}, already there {report.skipped_existing}, "
        f"invalid {len(report.invalid)}; verdicts: "
        + ", ".join(f"{k} {v}" for k, v in report.verdicts.items())
    )


@tasks_cli.command("reword-verdicts")
@click.option("--agreement", "codes", multiple=True, help="An agreement's code (default: all).")
def tasks_reword_verdicts(codes: tuple[str, ...]) -> None:
    """Write stored verdict explanations in today's words; no verdict changes."""
    from contracts_app.tasks.services import reword_stored_verdicts

    _report_rewording(reword_stored_verdicts(list(codes) or None))


def _report_rewording(counts: dict[str, int]) -> None:
    from contracts_app.formatting import counted

    click.echo(
        f"{counted(sum(counts.values()), 'explanation', 'explanations')} re-worded in "
        f"{counted(len(counts), 'agreement', 'agreements')}; no verdict changed."
    )


@tasks_cli.command("import-export")
@click.argument("file", type=click.File("rb"))
@click.option("--agreement", "code", required=True, help="The agreement's code.")
@click.option("--profile", required=True, help="The agreement's import profile.")
@click.option("--as", "email", default=None, help="The recording user (default: an administrator).")
@click.option("--dry-run", is_flag=True, help="Preview: store nothing.")
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows, skip the invalid ones.")
def tasks_import_export(
    file, code: str, profile: str, email: str | None, dry_run: bool, skip_invalid: bool
) -> None:
    """Import a ticketing tool's export (CSV or XLSX) through an import profile."""
    import sqlalchemy as sa

    from contracts_app.accounts.models import User
    from contracts_app.accounts.services import user_by_email
    from contracts_app.agreements.access import agreement_for
    from contracts_app.db import db
    from contracts_app.tasks.profile_import import import_with_profile

    user = (
        user_by_email(email)
        if email
        else db.session.scalar(sa.select(User).where(User.is_admin.is_(True)).order_by(User.id))
    )
    if user is None:
        raise click.ClickException("No such user; give --as EMAIL of a member or an administrator.")
    try:
        agreement, membership = agreement_for(user, code)
        report = import_with_profile(
            agreement,
            membership,
            profile,
            file.read(),
            user,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
        )
    except DomainError as exc:
        for where, messages in list(getattr(exc, "errors", {}).items())[:50]:
            prefix = "" if where.startswith("line ") else f"{where}: "
            click.echo(f"  {prefix}{' '.join(messages)}", err=True)
        raise click.ClickException(exc.message) from None
    for note in report.file["notes"]:
        click.echo(note)
    for row in report.invalid[:50]:
        click.echo(f"  {' '.join(row['messages'])}", err=True)
    for value in report.unmapped:
        click.echo(
            f"No mapping for {value['field']} {value['value']!r}: {value['count']} ticket(s), "
            f"e.g. {', '.join(value['examples'])}"
        )
    click.echo(
        f"{'Would create' if dry_run else 'Created'} {report.created}, updated {report.updated}, "
        f"unchanged {report.unchanged}, flagged {report.flagged}, invalid {len(report.invalid)}; "
        "verdicts: " + ", ".join(f"{k} {v}" for k, v in report.verdicts.items())
    )


def register_commands(app: Flask) -> None:
    app.cli.add_command(audit_cli)
    app.cli.add_command(agreements_cli)
    app.cli.add_command(escalations_cli)
    app.cli.add_command(tasks_cli)
    app.cli.add_command(annexes_cli)
    app.cli.add_command(db_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
