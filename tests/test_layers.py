"""Domains depend on lower domains only: no import cycle between them.

Read from the source (imports at the top and inside functions alike). Models are the
shared data and may be imported from anywhere; pages, the API, forms and the command
line sit above every domain and may use any of them.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "contracts_app"
# Lowest first: a domain may import only from those before it.
LAYERS = [
    "audit",
    "accounts",
    "scope",
    "agreements",
    "annexes",
    "tasks",
    "escalations",
    "documents",
]
WEB = {"views.py", "api.py", "forms.py", "drafting.py", "cli.py", "demo.py", "schemas.py"}


def domain_imports() -> list[tuple[str, str, str]]:
    found = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if len(parts) < 2 or parts[0] not in LAYERS or path.name in WEB:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                target = name.split(".")
                if (
                    target[0] == "contracts_app"
                    and len(target) > 2
                    and target[1] in LAYERS
                    and target[1] != parts[0]
                    and target[2] != "models"
                ):
                    found.append((parts[0], target[1], "/".join(parts)))
    return found


def test_every_domain_imports_only_lower_domains():
    upward = [
        f"{where} imports {target}"
        for source, target, where in domain_imports()
        if LAYERS.index(target) > LAYERS.index(source)
    ]
    assert upward == []


def test_the_check_sees_the_imports_it_judges():
    assert ("annexes", "scope", "annexes/services.py") in domain_imports()
