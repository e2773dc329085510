from __future__ import annotations

from apiflask import Schema, fields, validators

from contracts_app.search.services import KINDS, MAX_LENGTH, MIN_LENGTH


class SearchQuery(Schema):
    q = fields.String(
        required=True,
        validate=validators.Length(min=MIN_LENGTH, max=MAX_LENGTH),
        metadata={
            "description": "Text to find, case-insensitive: agreement codes, titles "
            "and parties; annex titles and 'Annex N'; task refs and titles."
        },
    )
    kind = fields.String(
        load_default=None,
        validate=validators.OneOf(KINDS),
        metadata={"description": "Only this kind (all kinds by default)"},
    )
    page = fields.Integer(load_default=1, validate=validators.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=10, validate=validators.Range(min=1, max=100))


class HitOut(Schema):
    kind = fields.String(metadata={"description": "agreement, annex or task"})
    id = fields.Integer()
    label = fields.String(metadata={"description": "As people name it: Annex 5 of AMS-2026-01"})
    title = fields.String()
    agreement_code = fields.String()
    state = fields.String()


class GroupOut(Schema):
    kind = fields.String()
    items = fields.List(fields.Nested(HitOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class SearchOut(Schema):
    q = fields.String()
    groups = fields.List(fields.Nested(GroupOut))
