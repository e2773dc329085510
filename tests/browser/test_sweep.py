"""Every page of the demo, as every kind of user, on a laptop (1366x900) and a phone
(390x844): nothing wider than the screen, no script error, the access the route table
promises, and no serious or critical accessibility violation (axe-core).

The demo is built once; one Chromium, one browser context per user and width, one sign-in
per user. Screenshots land in test-artifacts/browser/sweep/<width>/<user>/.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa

from contracts_app.accounts.services import user_by_email
from contracts_app.agreements.access import membership_of
from contracts_app.agreements.models import Agreement, Membership
from contracts_app.annexes.models import Annex
from contracts_app.annexes.services import AnnexInput, create_annex
from contracts_app.db import db, utcnow
from contracts_app.demo import ADMIN, DEMO_PASSWORD, load_demo
from contracts_app.documents.models import Document, RenderState
from contracts_app.documents.renders import request_summary_render
from contracts_app.escalations.models import Escalation
from contracts_app.notifications.email import unsubscribe_token
from contracts_app.notifications.kinds import Kind
from contracts_app.tasks.models import Task
from contracts_app.tasks.profiles import ImportProfile
from tests.security.test_route_access import ACCESS, SCOPED_ARGUMENTS, expected_get

pytestmark = [
    pytest.mark.browser,
    pytest.mark.committed,
]

WIDTHS = {"wide": (1366, 900), "phone": (390, 844)}

# Who looks around: (name in the route table's terms, demo account)
USERS = {
    "admin": ADMIN[0],
    "provider manager": "paula.provider-manager@example.com",
    "customer manager": "clara.customer-manager@example.com",
    "customer approver": "carl.customer-approver@example.com",
    "provider contributor": "pia.provider-contributor@example.com",
    "customer viewer": "cyril.customer-viewer@example.com",
}

# GET routes that are not pages a person reads in the browser, and why.
NOT_PAGES = {
    "static": "stylesheets and scripts",
    "documents.pdf": "a PDF",
    "documents.live_summary": "a PDF",
    "annexes.scope_json": "JSON for the annex form's script",
    "exports.export": "CSV and XLSX downloads",
    "documents.render_download": "a PDF",
}

# Addresses of files by their name (a CSV template, a PDF) are downloads, not pages.
FILES = re.compile(r"\.(csv|xlsx|pdf|json)$")

# Pages shown with a query, so that they show what they are for.
QUERIES = {"/search": "?q=incident"}

# Pages shown more than once: the same page in states that render differently
# (pattern -> argument -> names of further objects in demo_objects()["extra"]).
EXTRA_PAGES = {
    "/annexes/<id:annex_id>": {"annex_id": ["in_review"]},
    "/annexes/<id:annex_id>/edit": {"annex_id": ["draft"]},
    "/documents/<id:document_id>": {"document_id": ["signed_off"]},
}

IMPACTS = ("serious", "critical")

# Where on a page nothing is wider than the screen: the elements sticking out, for the report.
OVERFLOW = """() => {
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    const own = getComputedStyle(el).overflowX;
    const text = own === 'visible' ? box.left + el.scrollWidth : box.right;  // text running out
    if ((box.right > width + 1 || text > width + 1) && box.width > 0) {
      let scrolled = false;
      for (let p = el.parentElement; p; p = p.parentElement) {
        const overflow = getComputedStyle(p).overflowX;
        if (['auto', 'scroll', 'hidden', 'clip'].includes(overflow)) { scrolled = true; break; }
      }
      const classes = typeof el.className === 'string' ? el.className.trim() : '';
      if (!scrolled) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (classes ? '.' + classes.split(/\\s+/).join('.') : '') + ' right=' + Math.round(box.right));
    }
  }
  return [document.documentElement.scrollWidth, ...out.slice(0, 6)];
}"""


# The page's make-up: the kinds of element it is built of (tag, class, type, role, whether
# named), without texts or counts. Axe's verdicts follow them (styles follow tags and
# classes; a table of 50 rows fails as one of 5), so a scan runs once per path, make-up and
# width, and a person shown what another was shown is not scanned again.
MAKE_UP = """() => {
  const kinds = new Set();
  for (const el of document.querySelectorAll('body *')) {
    kinds.add([el.tagName, el.getAttribute('class'), el.getAttribute('type'),
      el.getAttribute('role'), el.hasAttribute('aria-label'), el.hasAttribute('id')].join('.'));
  }
  const text = [...kinds].sort().join('|');
  let h = 5381;
  for (let i = 0; i < text.length; i++) h = ((h << 5) + h + text.charCodeAt(i)) | 0;
  return location.pathname.replace(/[0-9]+/g, 'N') + ':' + h;
}"""

# Screenshots stop this far down: a phone's list of cards runs long, and its top says enough.
SHOT_HEIGHT = 4000


def page_rules(app):
    """GET rules of pages, keyed by their pattern (one endpoint may serve two patterns)."""
    return {
        rule.rule: rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and not rule.rule.startswith("/api/")
        and rule.endpoint not in NOT_PAGES
        and not FILES.search(rule.rule)
    }


def test_every_page_route_is_in_the_sweep(app):
    """A new page fails here until the sweep knows an object to show it with."""
    missing = [
        pattern
        for pattern, rule in page_rules(app).items()
        if not set(rule.arguments) <= set(ARGUMENTS)
    ]
    assert missing == [], f"name an object for these pages in ARGUMENTS: {missing}"
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(NOT_PAGES) <= endpoints, "NOT_PAGES names a route that no longer exists"
    assert set(EXTRA_PAGES) | set(QUERIES) <= set(page_rules(app)), "a page that is gone"


# Path arguments the sweep knows, each filled from the demo by `demo_objects`.
ARGUMENTS = (
    "code",
    "annex_id",
    "task_id",
    "document_id",
    "escalation_id",
    "member_id",
    "ref",
    "name",
    "token",
    "render_id",
)


def demo_objects() -> dict:
    """Load the demo and pick one object of each kind from its shop agreement."""
    load_demo()
    shop = db.session.scalar(sa.select(Agreement).where(Agreement.code == "AMS-2026-01"))
    manager = user_by_email(USERS["provider manager"])
    draft = create_annex(
        shop,
        membership_of(manager, shop.id),
        AnnexInput(
            title="Extended support hours (draft)",
            effective_date=dt.date(2027, 3, 1),
            rationale="Proposed for the spring release.",
            changes=[{"op": "remove", "ref": "1.3"}],
        ),
        manager,
    )
    annexes = db.session.scalars(
        sa.select(Annex).where(Annex.agreement_id == shop.id).order_by(Annex.id)
    ).all()
    viewer = user_by_email(USERS["customer viewer"])
    # A background render, finished (a waiting one reloads its page every 2 s, which would
    # reload it under the scan): the page as the person finds it when they come back.
    render = request_summary_render(shop, membership_of(manager, shop.id), manager, None)
    render.state, render.pages_total, render.pages_done = RenderState.DONE, 1, 1
    render.pdf = b"%PDF-1.7\n%%EOF\n"
    render.pdf_size, render.finished_at = len(render.pdf), utcnow()
    objects = {
        "code": shop.code,
        "annex_id": next(a.id for a in annexes if a.state.value == "effective"),
        "task_id": db.session.scalar(
            sa.select(Task.id).where(Task.agreement_id == shop.id).order_by(Task.id)
        ),
        "document_id": db.session.scalar(
            sa.select(Document.id).where(Document.agreement_id == shop.id).order_by(Document.id)
        ),
        "escalation_id": db.session.scalar(
            sa.select(Escalation.id)
            .where(Escalation.agreement_id == shop.id)
            .order_by(Escalation.id)
        ),
        "member_id": db.session.scalar(
            sa.select(Membership.id).where(
                Membership.agreement_id == shop.id, Membership.user_id == viewer.id
            )
        ),
        "ref": "1.1",
        "name": db.session.scalar(
            sa.select(ImportProfile.name)
            .where(ImportProfile.agreement_id == shop.id)
            .order_by(ImportProfile.name)
        ),
        "token": unsubscribe_token(viewer.id, Kind.ANNEX_APPROVED),
        "render_id": render.id,
    }
    extra = {
        "in_review": next(a.id for a in annexes if a.state.value == "in_review"),
        "draft": draft.id,
        "signed_off": db.session.scalar(
            sa.select(Document.id).where(Document.pdf_sha256.is_not(None)).order_by(Document.id)
        ),
    }
    db.session.commit()
    return objects | {"extra": extra}


@dataclass
class Visit:
    url: str
    endpoint: str
    access: str  # the route table's word for who may see it
    scoped: bool


def visits(app, objects) -> list[Visit]:
    out = []
    for pattern, rule in sorted(page_rules(app).items()):
        values = {k: objects[k] for k in rule.arguments}
        url = rule.build(values, append_unknown=False)[1] + QUERIES.get(pattern, "")
        access = ACCESS[(rule.endpoint, "GET")]
        scoped = any(a in rule.arguments for a in SCOPED_ARGUMENTS)
        out.append(Visit(url, rule.endpoint, access, scoped))
        for argument, names in EXTRA_PAGES.get(pattern, {}).items():
            for name in names:
                url = rule.build(values | {argument: objects["extra"][name]})[1]
                out.append(Visit(url, rule.endpoint, access, scoped))
    # an unknown address: the error page
    out.append(Visit("/agreements/NO-SUCH-CODE", "agreements.show", "member", True))
    return out


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    violations: dict[str, set[str]] = field(default_factory=dict)
    pages: int = 0
    scanned: set = field(default_factory=set)
    timing: dict = field(default_factory=dict)

    def add(self, where: str, problem: str) -> None:
        self.problems.append(f"{where}: {problem}")

    @contextmanager
    def timed(self, what: str) -> Iterator[None]:
        started = time.monotonic()
        yield
        self.timing[what] = self.timing.get(what, 0.0) + time.monotonic() - started


def describe(violation: dict) -> str:
    nodes = violation.get("nodes", [])
    targets = ", ".join(" ".join(map(str, n.get("target", []))) for n in nodes[:4])
    more = f" (+{len(nodes) - 4} more)" if len(nodes) > 4 else ""
    return f"[{violation['impact']}] {violation['id']}: {violation['help']} at {targets}{more}"


def sign_in(page, base, email) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "/login" not in page.url, f"{email} could not sign in"


def slug(url: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", url).strip("-") or "home"


def check_page(page, base, visit, who, width, axe, findings, folder) -> None:
    console: list[str] = []
    errors: list[str] = []

    def on_console(message):
        if message.type == "error":
            console.append(message.text)

    def on_error(error):
        errors.append(str(error))

    page.on("console", on_console)
    page.on("pageerror", on_error)
    where = f"{who} at {width}px {visit.url}"
    with findings.timed("load"):
        response = page.goto(base + visit.url)
    status = response.status if response else 0
    expected = expected_get(visit.access, who, visit.scoped)
    if visit.url.startswith("/agreements/NO-SUCH"):
        expected = "not found"
    if expected == "ok" and status >= 400:
        findings.add(where, f"HTTP {status}, expected a page")
    if expected in ("forbidden", "not found") and status < 400:
        findings.add(where, f"HTTP {status}, expected {expected}")
    if status >= 500:
        findings.add(where, f"HTTP {status}")
    if status >= 400:  # the browser reports the error status of the page itself
        console = [c for c in console if "status of" not in c]
    wide = page.evaluate(OVERFLOW)
    if wide:
        findings.add(where, f"wider than the screen: {wide}")
    for text in console:
        findings.add(where, f"console error: {text}")
    for text in errors:
        findings.add(where, f"script error: {text}")
    with findings.timed("screenshots"):
        height = min(page.evaluate("document.documentElement.scrollHeight"), SHOT_HEIGHT)
        page.screenshot(
            path=str(folder / f"{slug(visit.url)}.png"),
            full_page=True,
            clip={"x": 0, "y": 0, "width": width, "height": height},
        )
    make_up = (width, page.evaluate(MAKE_UP))
    if make_up not in findings.scanned:
        findings.scanned.add(make_up)
        with findings.timed("axe"):
            result = axe.run(page)
        for violation in result.response["violations"]:
            if violation.get("impact") in IMPACTS:
                findings.violations.setdefault(describe(violation), set()).add(where)
    page.remove_listener("console", on_console)
    page.remove_listener("pageerror", on_error)
    findings.pages += 1


@pytest.fixture
def demo(live_server) -> dict:
    """Before the browser starts: signing the demo's summary runs its own event loop."""
    return demo_objects()


def test_every_page_fits_the_screen_works_and_passes_axe_for_every_user(
    app, live_server, demo, browser, artifacts
):
    from axe_playwright_python.sync_playwright import Axe

    started = time.monotonic()
    pages = visits(app, demo)
    axe = Axe()
    findings = Findings()
    public = [v for v in pages if v.access == "public"]
    only = os.environ.get("SWEEP_USERS")  # e.g. "provider manager,customer viewer" while fixing
    users = [(w, e) for w, e in [("anonymous", None), *USERS.items()] if not only or w in only]
    for who, email in users:
        state = None
        for width_name, (width, height) in WIDTHS.items():
            context = browser.new_context(viewport={"width": width, "height": height})
            if state is not None:
                context.add_cookies(state)
            page = context.new_page()
            if email and state is None:
                sign_in(page, live_server, email)
                state = context.cookies()
            folder = artifacts / "sweep" / width_name / who.replace(" ", "-")
            folder.mkdir(parents=True, exist_ok=True)
            for visit in public if who == "anonymous" else pages:
                check_page(page, live_server, visit, who, width, axe, findings, folder)
            context.close()
    elapsed = time.monotonic() - started
    report = findings.problems + [
        f"{line}\n    on {len(wheres)} page(s), e.g. {sorted(wheres)[0]}"
        for line, wheres in sorted(findings.violations.items())
    ]
    parts = ", ".join(f"{what} {seconds:.0f} s" for what, seconds in findings.timing.items())
    scans = len(findings.scanned)
    summary = f"{findings.pages} pages in {elapsed:.0f} s ({parts}), {scans} axe scans"
    print(summary)
    (artifacts / "sweep" / "report.txt").write_text("\n".join([summary, *report]) + "\n")
    if report:
        pytest.fail("\n".join(report), pytrace=False)
