"""What the treatment loop adds to pages owned by the case registry.

The officer's home page and the case page include the templates
"treatment/_officer_home.html" and "treatment/_case_panel.html" with the
context these functions return.
"""

from __future__ import annotations

from typing import Any

from tsunagu.cases.models import Case
from tsunagu.core.access import AuthedRequest


def officer_home_context(request: AuthedRequest) -> dict[str, Any]:
    return {}


def case_panel_context(request: AuthedRequest, case: Case) -> dict[str, Any]:
    return {}
