"""Summaries: content of the PDFs, sign-off, the digital signature, and verification."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest

from contracts_app.agreements.access import membership_of
from contracts_app.db import db
from contracts_app.documents import services
from contracts_app.errors import Conflict, Forbidden, ValidationFailed
from tests.conftest import ARTIFACTS
from tests.documents.conftest import pdf_text
from tests.factories import PASSWORD

AS_OF = dt.date(2026, 4, 15)


def issue(agreement, manager):
    return services.issue_document(agreement, membership_of(manager, agreement.id), AS_OF, manager)


@pytest.fixture
def signed(summary_agreement, signers):
    document = issue(summary_agreement, signers["manager"])
    services.sign_off(document.id, signers["customer"], PASSWORD)
    return services.sign_off(document.id, signers["provider"], PASSWORD)


def test_live_summary_is_marked_draft_and_has_the_content(summary_agreement, signers):
    manager = signers["manager"]
    data = services.live_summary_pdf(
        summary_agreement, membership_of(manager, summary_agreement.id), manager, AS_OF
    )
    text = pdf_text(data)
    assert "Draft, not signed off" in text and "DRAFT, NOT SIGNED OFF" in text
    for expected in (
        summary_agreement.code,
        "Application support",
        "Customer Ltd",
        "Provider plc",
        "2026-01-01 to 2026-12-31",
        "EUR 1,000.00",
        "active",
        "As of",
        "2026-04-15",
        "Incident resolution",
        "60 h / month",
        "New features",
        "Corrective maintenance",
        "Scope timeline",
        "Register of annexes",
        "More maintenance",
        "+ 2.1",
        "40 h / month → 60 h / month",
        "Verification summary",
        "Open escalations",
    ):
        assert expected in text, expected
    pages = re.findall(r"page (\d+) of (\d+)", text)
    assert (
        pages and pages[0] == ("1", pages[0][1]) and all(total == pages[0][1] for _, total in pages)
    )
    assert len(pages) == int(pages[0][1])


def test_issuing_freezes_the_data_with_its_hash(summary_agreement, signers):
    document = issue(summary_agreement, signers["manager"])
    assert document.state.value == "awaiting_sign_off"
    assert document.content["as_of"] == "2026-04-15"
    assert document.content_hash == services.canonical_hash(document.content)
    assert [a["title"] for a in document.content["annexes"]] == ["More maintenance"]


def test_only_approvers_of_a_required_side_sign_off_with_their_password(summary_agreement, signers):
    document = issue(summary_agreement, signers["manager"])
    with pytest.raises(Forbidden):
        services.sign_off(document.id, signers["manager"], PASSWORD)
    with pytest.raises(ValidationFailed):
        services.sign_off(document.id, signers["customer"], "wrong password")
    services.sign_off(document.id, signers["customer"], PASSWORD)
    with pytest.raises(Conflict):
        services.sign_off(document.id, signers["customer"], PASSWORD)
    assert document.state.value == "awaiting_sign_off"


def test_signed_off_pdf_names_the_signers_and_numbers_its_pages(signed, signers):
    assert signed.state.value == "signed_off" and signed.pdf_sha256
    text = pdf_text(signed.pdf)
    assert "Draft, not signed off" not in text
    for who in ("customer", "provider"):
        user = signers[who]
        assert user.name in text and f"for the {who}" in text
    assert f"Document {signed.uid}" in text
    assert re.search(r"page 1 of \d+", text)


def test_pdfsig_and_qpdf_accept_the_signed_file(signed, tmp_path):
    if not (shutil.which("pdfsig") and shutil.which("qpdf")):
        pytest.skip("pdfsig and qpdf come with poppler-utils and qpdf (make test installs them)")
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed.pdf)
    sig = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=True).stdout
    assert (
        "Signature is Valid." in sig
        and "ETSI.CAdES.detached" in sig
        and "Total document signed" in sig
    )
    qpdf = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert qpdf.returncode == 0 and "No syntax or stream encoding errors" in qpdf.stdout


def test_first_pages_render_to_png_as_artifacts(signed, tmp_path):
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm comes with poppler-utils (make test installs it)")
    folder = ARTIFACTS / "pdf"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.pdf").write_bytes(signed.pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "70",
            "-f",
            "1",
            "-l",
            "3",
            str(folder / "summary.pdf"),
            str(folder / "page"),
        ],
        check=True,
    )
    pages = sorted(folder.glob("page-*.png"))
    assert len(pages) >= 3 and all(p.stat().st_size > 5_000 for p in pages)


def test_a_signed_off_summary_verifies_as_authentic(signed, signers):
    result = services.verify_pdf(signed.pdf)
    assert result["authentic"] is True
    assert result["document_id"] == signed.uid
    assert {s["name"] for s in result["signed_off_by"]} == {
        signers["customer"].name,
        signers["provider"].name,
    }


def test_one_altered_byte_is_not_authentic(signed):
    altered = bytearray(signed.pdf)
    position = signed.pdf.index(b"/Producer")
    altered[position + 2] ^= 0x01
    assert services.verify_pdf(bytes(altered))["authentic"] is False


def test_a_pdf_from_elsewhere_is_not_authentic(summary_agreement, signers):
    manager = signers["manager"]
    draft = services.live_summary_pdf(
        summary_agreement, membership_of(manager, summary_agreement.id), manager, AS_OF
    )
    result = services.verify_pdf(draft)
    assert result["authentic"] is False and result["document_id"] is None
    assert services.verify_pdf(b"%PDF-1.4 not really")["authentic"] is False


def test_a_signed_off_document_never_changes(signed, signers):
    with pytest.raises(Conflict):
        services.sign_off(signed.id, signers["customer"], PASSWORD)
    assert services.document_pdf(signed) == signed.pdf


def test_no_transaction_is_open_while_a_pdf_renders(summary_agreement, signers, monkeypatch):
    seen = []
    real = services.render_pdf

    def watching(html, seconds=60):
        seen.append(db.session().in_transaction())
        return real(html, seconds)

    monkeypatch.setattr(services, "render_pdf", watching)
    document = issue(summary_agreement, signers["manager"])
    services.sign_off(document.id, signers["customer"], PASSWORD)
    services.sign_off(document.id, signers["provider"], PASSWORD)
    assert seen == [False]
