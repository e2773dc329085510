"""A signed summary says so on its first page, downloads under its agreement's name, and
verification says what it checked and why a file is not authentic."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader, PdfWriter

from contracts_app.db import db
from contracts_app.documents import services
from contracts_app.documents.models import Document
from tests.documents.test_summaries import AS_OF, issue
from tests.factories import PASSWORD, signed_in, token_for


@pytest.fixture
def signed(summary_agreement, signers):
    document = issue(summary_agreement, signers["manager"])
    services.sign_off(document.id, signers["customer"], PASSWORD)
    return services.sign_off(document.id, signers["provider"], PASSWORD)


def first_page_text(data: bytes) -> str:
    return " ".join(PdfReader(io.BytesIO(data)).pages[0].extract_text().split())


def test_the_first_page_of_a_signed_summary_says_who_signed_it_off_and_when(signed, signers):
    text = first_page_text(signed.pdf)
    assert "Signed off by the customer (Customer Ltd)" in text
    assert "the provider (Provider plc)" in text
    for side in ("customer", "provider"):
        assert signers[side].name in text
    moment = signed.sign_offs[0].signed_at.strftime("%Y-%m-%d %H:%M UTC")
    assert moment in text
    assert "Draft" not in text


def test_a_draft_first_page_says_draft_and_not_signed_off(summary_agreement, signers):
    document = issue(summary_agreement, signers["manager"])
    text = first_page_text(services.document_pdf(document))
    assert "Draft, not signed off" in text and "Signed off by" not in text


def test_the_register_names_annexes_with_their_agreement(signed, summary_agreement):
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(signed.pdf)).pages)
    assert f"Annex 1 of {summary_agreement.code}" in " ".join(text.split())


def test_the_signed_file_downloads_under_its_agreement_and_day(client, signed, signers):
    response = client.get(
        f"/api/v1/documents/{signed.id}/pdf", headers=token_for(signers["manager"])
    )
    code = signed.content["agreement"]["code"]
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename={code}-summary-{AS_OF.isoformat()}.pdf"
    )


def test_a_draft_downloads_with_draft_in_its_name(app, summary_agreement, signers):
    page = signed_in(app.test_client(), signers["manager"])
    response = page.get(f"/agreements/{summary_agreement.code}/summary.pdf?as_of=2026-04-15")
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename={summary_agreement.code}-summary-2026-04-15-draft.pdf"
    )


def _names(result) -> list[str]:
    return [check["name"] for check in result["checks"]]


def test_an_authentic_file_lists_the_hash_the_signature_and_each_side_checked(signed):
    result = services.verify_pdf(signed.pdf)
    assert result["verdict"] == "authentic"
    assert _names(result) == ["hash", "signature", "sign_off:customer", "sign_off:provider"]
    assert all(check["passed"] for check in result["checks"])


def test_a_file_this_system_never_issued_is_not_issued_here():
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/documentid": "00000000-0000-0000-0000-000000000000"})
    out = io.BytesIO()
    writer.write(out)
    result = services.verify_pdf(out.getvalue())
    assert result["verdict"] == "not_issued_here" and result["authentic"] is False
    assert "not issued by this system" in result["reason"]
    assert services.verify_pdf(b"%PDF-1.4 not really")["verdict"] == "not_issued_here"


def test_a_signed_file_changed_afterwards_is_altered_after_signing(signed):
    altered = bytearray(signed.pdf)
    position = signed.pdf.index(b"/Producer")
    altered[position + 2] ^= 0x01
    result = services.verify_pdf(bytes(altered))
    assert result["verdict"] == "altered" and result["document_id"] == signed.uid
    assert "altered after signing" in result["reason"]
    hash_check = result["checks"][0]
    assert hash_check["name"] == "hash" and hash_check["passed"] is False
    assert signed.pdf_sha256 in hash_check["detail"]


def test_a_file_with_content_appended_after_signing_is_altered(signed):
    result = services.verify_pdf(signed.pdf + b"\n% appended\n")
    assert result["verdict"] == "altered"


def test_a_draft_of_an_issued_summary_is_a_draft_naming_the_missing_side(
    summary_agreement, signers
):
    document = issue(summary_agreement, signers["manager"])
    services.sign_off(document.id, signers["customer"], PASSWORD)
    draft = services.document_pdf(db.session.get(Document, document.id))
    result = services.verify_pdf(draft)
    assert result["verdict"] == "draft" and result["document_id"] == document.uid
    assert "provider still to sign off" in result["reason"]


def test_a_live_draft_is_a_draft_never_issued(summary_agreement, signers):
    from contracts_app.agreements.access import membership_of

    manager = signers["manager"]
    draft = services.live_summary_pdf(
        summary_agreement, membership_of(manager, summary_agreement.id), manager, AS_OF
    )
    result = services.verify_pdf(draft)
    assert result["verdict"] == "draft" and "never issued for sign-off" in result["reason"]


def test_the_verify_page_says_what_was_checked_and_why_not(app, signed):
    client = app.test_client()
    page = client.post(
        "/verify",
        data={"file": (io.BytesIO(signed.pdf + b"\n% appended\n"), "summary.pdf")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Not authentic: altered after signing" in page
    assert "The file against the issued records:</strong> failed" in page
    good = client.post(
        "/verify",
        data={"file": (io.BytesIO(signed.pdf), "summary.pdf")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Sign-off of the provider:</strong> passed" in good
    assert "The digital signature:</strong> passed" in good
