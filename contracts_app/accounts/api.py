"""JSON API for accounts."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from contracts_app.accounts import services
from contracts_app.accounts.schemas import UserIn, UserOut
from contracts_app.api_common import api_user
from contracts_app.extensions import token_auth

api = APIBlueprint("accounts_api", __name__, tag="Accounts")


@api.post("/users")
@api.auth_required(token_auth)
@api.input(UserIn, arg_name="body")
@api.output(UserOut, status_code=201)
@api.doc(summary="Create a user (administrators)", responses=[401, 403, 422])
def create_user(body: dict[str, Any]) -> Any:
    return services.create_user(
        body["email"], body["name"], body["password"], admin=body["admin"], actor=api_user()
    )


@api.get("/me")
@api.auth_required(token_auth)
@api.output(UserOut)
@api.doc(summary="The user the token belongs to", responses=[401])
def me() -> Any:
    return api_user()
