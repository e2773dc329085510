"""JSON API: what waits for me."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema, fields

from contracts_app.api_common import api_user, sort_param
from contracts_app.extensions import token_auth
from contracts_app.work.services import WORK_SORTING, my_work

api = APIBlueprint("work_api", __name__, tag="My work")


class WorkItemOut(Schema):
    title = fields.String()
    link = fields.String()
    since = fields.String(
        metadata={
            "description": "A date or a UTC timestamp (ISO 8601): when the item began to "
            "wait, or, with ``due``, when an answer is due."
        }
    )
    due = fields.Boolean(metadata={"description": "``since`` is a deadline."})
    agreement = fields.String(allow_none=True)


class WorkGroupOut(Schema):
    kind = fields.String()
    count = fields.Integer()
    items = fields.List(fields.Nested(WorkItemOut))


class WorkQuery(Schema):
    sort = sort_param(WORK_SORTING)


class WorkOut(Schema):
    groups = fields.List(fields.Nested(WorkGroupOut))
    total = fields.Integer()


@api.get("/me/work")
@api.auth_required(token_auth)
@api.input(WorkQuery, location="query", arg_name="query")
@api.output(WorkOut)
@api.doc(
    summary="What waits for me, grouped, each item with its age and a link; within each "
    "group, oldest first unless sorted",
    responses=[401, 422],
)
def work(query: dict[str, Any]) -> Any:
    return my_work(api_user(), sort=query["sort"]).to_json()
