from __future__ import annotations

import datetime as dt
import io

import sqlalchemy as sa

from contracts_app.db import db
from contracts_app.documents.summary import gather_summary
from tests.factories import PASSWORD, clause, make_agreement, make_annex, make_user, token_for


def test_issue_sign_off_download_and_verify_through_the_api(
    client, summary_agreement, signers, inline
):
    code = summary_agreement.code
    issued = client.post(
        f"/api/v1/agreements/{code}/documents",
        json={"as_of": "2026-04-15"},
        headers=token_for(signers["manager"]),
    )
    assert issued.status_code == 201, issued.json
    document = issued.json
    assert document["state"] == "awaiting_sign_off" and len(document["content_hash"]) == 64
    refused = client.post(
        f"/api/v1/documents/{document['id']}/sign-off",
        json={"password": "nope"},
        headers=token_for(signers["customer"]),
    )
    assert refused.status_code == 422
    for side in ("customer", "provider"):
        response = client.post(
            f"/api/v1/documents/{document['id']}/sign-off",
            json={"password": PASSWORD},
            headers=token_for(signers[side]),
        )
        assert response.status_code == 200, response.json
    final = client.get(
        f"/api/v1/documents/{document['id']}", headers=token_for(signers["manager"])
    ).json
    assert final["state"] == "signed_off" and [s["side"] for s in final["sign_offs"]] == [
        "customer",
        "provider",
    ]
    pdf = client.get(
        f"/api/v1/documents/{document['id']}/pdf", headers=token_for(signers["manager"])
    )
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")

    as_body = client.post(
        "/api/v1/documents/verify", data=pdf.data, headers={"Content-Type": "application/pdf"}
    ).json
    assert (
        as_body["authentic"] is True
        and as_body["document_id"] == final["uid"]
        and as_body["agreement"] == code
    )
    multipart = client.post(
        "/api/v1/documents/verify",
        data={"file": (io.BytesIO(pdf.data[:-10] + b"tampered!!"), "x.pdf")},
        content_type="multipart/form-data",
    ).json
    assert multipart["authentic"] is False and multipart["reason"]


def test_live_summary_in_the_api_and_outsiders(client, summary_agreement, signers):
    code = summary_agreement.code
    live = client.get(
        f"/api/v1/agreements/{code}/summary.pdf?as_of=2026-04-01",
        headers=token_for(signers["customer"]),
    )
    assert live.status_code == 200 and live.mimetype == "application/pdf"
    outsider = make_user()
    assert (
        client.get(
            f"/api/v1/agreements/{code}/summary.pdf", headers=token_for(outsider)
        ).status_code
        == 404
    )
    issued = client.post(
        f"/api/v1/agreements/{code}/documents", json={}, headers=token_for(signers["manager"])
    ).json
    assert (
        client.get(f"/api/v1/documents/{issued['id']}", headers=token_for(outsider)).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/agreements/{code}/documents", json={}, headers=token_for(signers["customer"])
        ).status_code
        == 403
    )


def count_queries(fn):
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)
    return len(statements)


def test_the_summary_gathers_its_data_in_the_same_number_of_queries_for_3_or_30_annexes():
    counts = {}
    for annexes in (3, 30):
        agreement = make_agreement(scope=[clause(f"1.{n}", [f"c{n}"]) for n in range(1, 11)])
        for n in range(annexes):
            make_annex(
                agreement,
                dt.date(2026, 1, 2) + dt.timedelta(days=n * 5),
                [{"op": "add", "item": clause(f"5.{n}")}],
            )
        db.session.expire_all()
        counts[annexes] = count_queries(lambda a=agreement: gather_summary(a, dt.date(2026, 7, 1)))
    assert counts[3] == counts[30], counts
