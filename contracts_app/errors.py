"""Domain errors raised by services, and their translation to HTTP in one place.

Services raise these; the API turns them into RFC 9457 problem details and the
pages into an error page or messages next to form fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class Conflict(DomainError):
    """The request does not fit the current state; ``allowed`` lists what would."""

    status = 409
    title = "Conflict"

    def __init__(self, message: str, allowed: Iterable[str] | None = None) -> None:
        super().__init__(message)
        self.allowed = list(allowed) if allowed is not None else None


class TooManyAttempts(DomainError):
    """Too many failed password checks for an account; ``retry_after`` seconds to wait."""

    status = 429
    title = "Too many attempts"

    def __init__(self, message: str, retry_after: int, field: str = "password") -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.field = field


class ValidationFailed(DomainError):
    """Input refused; ``errors`` maps a field path (``scope.0.ref``) to its messages."""

    status = 422
    title = "Validation failed"

    def __init__(self, errors: Mapping[str, list[str] | str], message: str | None = None) -> None:
        self.errors = {
            field: [msgs] if isinstance(msgs, str) else list(msgs) for field, msgs in errors.items()
        }
        first = next(iter(self.errors.items()), ("", [""]))
        super().__init__(message or f"{first[0]}: {first[1][0]}" if first[0] else "invalid input")


class ScopeConflict(ValidationFailed):
    """A scope change that cannot apply at its date (names the ref and the annex)."""

    def __init__(self, ref: str, annex_label: str, reason: str, field: str = "changes") -> None:
        self.ref = ref
        self.annex_label = annex_label
        message = f"{annex_label}: clause {ref} {reason}"
        super().__init__({field: [message]}, message)


def flatten_messages(messages: object, prefix: str = "") -> dict[str, list[str]]:
    """Flatten marshmallow's nested error dict into ``{"a.0.b": [messages]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                path = prefix or "_schema"
            for sub_path, msgs in flatten_messages(value, path).items():
                flat.setdefault(sub_path, []).extend(msgs)
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            flat[prefix or "_schema"] = list(messages)
        else:
            for item in messages:
                for sub_path, msgs in flatten_messages(item, prefix).items():
                    flat.setdefault(sub_path, []).extend(msgs)
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat
