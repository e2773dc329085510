"""JSON API: my notifications, marking them read, and my preferences."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema, fields, validators

from contracts_app.api_common import PageQuery, api_user, page_of, sort_param
from contracts_app.extensions import token_auth
from contracts_app.notifications import services
from contracts_app.notifications.kinds import Delivery, Kind

api = APIBlueprint("notifications_api", __name__, tag="Notifications")


class NotificationOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    text = fields.String()
    link = fields.String()
    agreement = fields.String(attribute="agreement.code", allow_none=True)
    object_type = fields.String()
    object_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    email = fields.String(attribute="email_state")


class NotificationPage(Schema):
    items = fields.List(fields.Nested(NotificationOut))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    unread = fields.Integer()


class NotificationQuery(PageQuery):
    unread = fields.Boolean(load_default=False)
    sort = sort_param(services.NOTIFICATION_SORTING)


class MarkReadIn(Schema):
    ids = fields.List(
        fields.Integer(validate=validators.Range(1, 2**31 - 1)),
        load_default=None,
        allow_none=True,
        validate=validators.Length(max=500),
        metadata={"description": "The notifications to mark read; omitted: every unread one."},
    )


class MarkReadOut(Schema):
    marked = fields.Integer()
    unread = fields.Integer()


class KindPreference(Schema):
    kind = fields.String()
    label = fields.String()
    delivery = fields.String()
    default = fields.String()


class PreferencesOut(Schema):
    time_zone = fields.String()
    kinds = fields.List(fields.Nested(KindPreference))


class PreferencesIn(Schema):
    time_zone = fields.String(validate=validators.Length(1, 64))
    kinds = fields.Dict(
        keys=fields.String(validate=validators.OneOf([k.value for k in Kind])),
        values=fields.String(validate=validators.OneOf([d.value for d in Delivery])),
        load_default=dict,
        metadata={"description": 'Delivery per kind, e.g. {"annex_approved": "email"}.'},
    )


@api.get("/me/notifications")
@api.auth_required(token_auth)
@api.input(NotificationQuery, location="query", arg_name="query")
@api.output(NotificationPage)
@api.doc(summary="My notifications, unread first, newest first unless sorted", responses=[401, 422])
def my_notifications(query: dict[str, Any]) -> Any:
    rows, total, unread = services.list_notifications(
        api_user(),
        page=query["page"],
        per_page=query["per_page"],
        unread_only=query["unread"],
        sort=query["sort"],
    )
    body = page_of(rows, total, query["page"], query["per_page"])
    body["unread"] = unread
    return body


@api.post("/me/notifications/read")
@api.auth_required(token_auth)
@api.input(MarkReadIn, arg_name="body")
@api.output(MarkReadOut)
@api.doc(summary="Mark notifications read (all unread ones without ids)", responses=[401, 404, 422])
def mark_read(body: dict[str, Any]) -> Any:
    user = api_user()
    marked = services.mark_read(user, body.get("ids"))
    return {"marked": marked, "unread": services.unread_count(user)}


@api.get("/me/notification-preferences")
@api.auth_required(token_auth)
@api.output(PreferencesOut)
@api.doc(summary="How each kind of notification reaches me", responses=[401])
def get_preferences() -> Any:
    return services.preferences_of(api_user())


@api.put("/me/notification-preferences")
@api.auth_required(token_auth)
@api.input(PreferencesIn, arg_name="body")
@api.output(PreferencesOut)
@api.doc(summary="Set the delivery of kinds and the digest's time zone", responses=[401, 422])
def put_preferences(body: dict[str, Any]) -> Any:
    return services.set_preferences(api_user(), body.get("kinds", {}), body.get("time_zone"))
