from __future__ import annotations

from apiflask import Schema, fields, validators


class UserIn(Schema):
    email = fields.String(required=True, validate=validators.Length(3, 254))
    name = fields.String(required=True, validate=validators.Length(1, 200))
    password = fields.String(required=True, load_only=True, validate=validators.Length(1, 1000))
    admin = fields.Boolean(load_default=False)


class UserOut(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    admin = fields.Boolean(attribute="is_admin")
    active = fields.Boolean(attribute="is_active")
    created_at = fields.DateTime()
