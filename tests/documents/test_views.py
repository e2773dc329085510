from __future__ import annotations

import io

from contracts_app.db import db
from contracts_app.documents.models import Document
from tests.factories import PASSWORD, signed_in


def test_issue_sign_off_and_verify_in_the_pages(app, summary_agreement, signers, inline):
    code = summary_agreement.code
    manager = signed_in(app.test_client(), signers["manager"])
    assert manager.get(f"/agreements/{code}/summary.pdf").mimetype == "application/pdf"
    response = manager.post(f"/agreements/{code}/documents", data={"as_of": "2026-04-15"})
    document = db.session.query(Document).one()
    assert response.headers["Location"].endswith(f"/documents/{document.id}")
    for side in ("customer", "provider"):
        approver = signed_in(app.test_client(), signers[side])
        page = approver.get(f"/documents/{document.id}").get_data(as_text=True)
        assert "Sign off for your side" in page
        approver.post(f"/documents/{document.id}/sign-off", data={"password": PASSWORD})
    db.session.expire_all()
    document = db.session.get(Document, document.id)
    assert document.state.value == "signed_off"
    anonymous = app.test_client()
    result = anonymous.post(
        "/verify",
        data={"file": (io.BytesIO(document.pdf), "summary.pdf")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Authentic" in result and document.uid in result


def test_a_manager_cannot_sign_off_in_the_page(app, summary_agreement, signers):
    manager = signed_in(app.test_client(), signers["manager"])
    manager.post(f"/agreements/{summary_agreement.code}/documents", data={"as_of": "2026-04-15"})
    document = db.session.query(Document).one()
    response = manager.post(f"/documents/{document.id}/sign-off", data={"password": PASSWORD})
    assert response.status_code == 403
    assert db.session.get(Document, document.id).sign_offs == []
