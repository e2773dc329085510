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


def _config():
    return alembic_config(current_app.config["DATABASE_URL"])


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    command.upgrade(_config(), revision)


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
    from contracts_app.annexes.workflow import activate_due

    activated = activate_due()
    for annex in activated:
        click.echo(f"{annex.agreement.code} {annex.label}: {annex.state.value}")
    click.echo(f"{len(activated)} annex(es) processed.", err=True)


def register_commands(app: Flask) -> None:
    app.cli.add_command(annexes_cli)
    app.cli.add_command(db_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
