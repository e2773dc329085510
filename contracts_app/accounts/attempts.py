"""Failed password checks counted per account, for sign-in and for re-entered passwords.

One limit, one counter per account in the rate limiter's storage (shared by every worker
when that storage is Redis): a guess at the password when signing an annex or signing
off a summary costs the same as a guess at the sign-in form. Only failures count. This
lives in the web and API layers; services check a password and know nothing of limits.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from limits import parse

from contracts_app.accounts.services import record_failed_password
from contracts_app.errors import TooManyAttempts, ValidationFailed
from contracts_app.extensions import limiter

T = TypeVar("T")
NAMESPACE = "password-failures"


def _limit():  # type: ignore[no-untyped-def]
    return parse(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"])


def _key(email: str) -> str:
    return (email or "").strip().lower()


def seconds_to_wait(email: str) -> int:
    """0 when the account may try a password now, else the seconds until it may."""
    strategy = limiter.limiter
    item = _limit()
    if strategy.test(item, NAMESPACE, _key(email)):
        return 0
    reset_at, _remaining = strategy.get_window_stats(item, NAMESPACE, _key(email))
    return max(1, int(reset_at - time.time()) + 1)


def refuse_if_limited(email: str, field: str = "password") -> None:
    wait = seconds_to_wait(email)
    if wait:
        raise TooManyAttempts(
            f"Too many wrong passwords for this account; try again in {wait} seconds.",
            retry_after=wait,
            field=field,
        )


def count_failure(email: str) -> None:
    limiter.limiter.hit(_limit(), NAMESPACE, _key(email))


def with_password_limit(user: object, purpose: str, action: Callable[[], T]) -> T:
    """Run ``action`` (which checks ``user``'s re-entered password) under the account limit.

    Past the limit it is not run at all (429 with the wait). A wrong password counts
    against the limit and is audited; the refusal is raised again for the caller.
    """
    email = user.email  # type: ignore[attr-defined]
    refuse_if_limited(email)
    try:
        return action()
    except ValidationFailed as exc:
        if "password" in exc.errors:
            count_failure(email)
            record_failed_password(user, purpose)  # type: ignore[arg-type]
        raise
