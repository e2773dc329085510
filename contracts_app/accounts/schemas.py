from __future__ import annotations

from apiflask import Schema, fields, validators

from contracts_app.accounts.passwords import MIN_PASSWORD_LENGTH
from contracts_app.identifiers import NON_BLANK_PATTERN


class UserIn(Schema):
    email = fields.String(
        required=True, validate=validators.Length(3, 254), metadata={"format": "email"}
    )
    name = fields.String(
        required=True, validate=[validators.Length(1, 200), validators.Regexp(NON_BLANK_PATTERN)]
    )
    password = fields.String(
        required=True,
        load_only=True,
        validate=validators.Length(MIN_PASSWORD_LENGTH, 1000),
        metadata={"format": "password"},
    )
    admin = fields.Boolean(load_default=False)


class UserOut(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    admin = fields.Boolean(attribute="is_admin")
    active = fields.Boolean(attribute="is_active")
    created_at = fields.DateTime()
