from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bulwark.report.controls import Context
from bulwark.scan.credentials import load_vendor_accounts

DATA = Path(__file__).parent / "data"
# The evidence files were captured on 2026-12-06 from lab containers (see data/README.md);
# evaluating them "now" would age them, so checks run at a fixed instant.
CAPTURED_AT = 1_796_557_500.0  # 2026-12-06T11:45:00Z


def load(name: str) -> dict[str, Any]:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def ctx() -> Context:
    return Context(now=CAPTURED_AT, vendor_accounts=frozenset(load_vendor_accounts()))
