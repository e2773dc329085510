"""``flask --app wsgi jobs worker|run-due``."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

jobs_cli = AppGroup("jobs", help="Background jobs: the worker and the periodic jobs.")


@jobs_cli.command("worker")
@click.option("--workers", type=int, default=None, help="Threads (default: HUEY_WORKERS).")
@click.option("--no-periodic", is_flag=True, help="Leave the periodic jobs to another worker.")
def worker(workers: int | None, no_periodic: bool) -> None:
    """Run the Huey consumer: deliveries, retries and the periodic jobs (Ctrl-C stops it)."""
    from flask import current_app
    from huey.consumer_options import ConsumerConfig

    import contracts_app.jobs.tasks  # noqa: F401  (registers the tasks)
    from contracts_app.jobs.queue import huey

    config = ConsumerConfig(
        workers=workers or current_app.config["HUEY_WORKERS"],
        worker_type="thread",
        periodic=not no_periodic,
        initial_delay=0.1,
        max_delay=1.0,
        check_worker_health=True,
    )
    config.validate()
    config.setup_logger()
    huey.create_consumer(**config.values).run()


@jobs_cli.command("run-due")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day to run the jobs as of (default: today, UTC).",
)
def run_due_command(today: dt.datetime | None) -> None:
    """Run every periodic job once as of TODAY, deliver what is pending, and exit."""
    from contracts_app.jobs.periodic import run_due

    report = run_due(today.date() if today else None)
    for line in report.lines():
        click.echo(line)
