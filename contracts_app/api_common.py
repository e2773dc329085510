"""Pieces every JSON API module shares: the token user and pagination."""

from __future__ import annotations

from typing import Any

from apiflask import Schema, fields, validators

from contracts_app.accounts.models import User
from contracts_app.extensions import token_auth
from contracts_app.sorting import Sorting

MAX_PER_PAGE = 100


def api_user() -> User:
    user = token_auth.current_user
    assert isinstance(user, User)  # the route is behind auth_required
    return user


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validators.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=25, validate=validators.Range(min=1, max=MAX_PER_PAGE))


def page_of(items: list[Any], total: int, page: int, per_page: int) -> dict[str, Any]:
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def sort_param(sorting: Sorting) -> fields.String:
    """The ``sort`` query field of a list endpoint, documented with its allowed values;
    an unknown field is a 422 problem naming the allowed ones."""
    default = sorting.default or "the list's own order"
    return fields.String(
        load_default=None,
        validate=validators.OneOf(sorting.choices, error=sorting.refusal),
        metadata={
            "description": f"Order of the list: a field ({', '.join(sorting.fields)}), "
            f"descending with a leading -. Default: {default}.",
        },
    )
