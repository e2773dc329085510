"""Background jobs: the Huey queue, the worker and the periodic jobs."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Email, the queue (with delivery after commit) and the ``jobs`` commands."""
    from contracts_app.jobs.cli import jobs_cli
    from contracts_app.jobs.queue import init_app as init_queue
    from contracts_app.notifications.email import mail

    mail.init_app(app)
    init_queue(app)
    import contracts_app.jobs.tasks  # noqa: F401  (the web process enqueues them)

    app.cli.add_command(jobs_cli)
