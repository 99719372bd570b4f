"""Words of the evaluation (DESIGN §5): group and term names, the caveat, the
E-value in words, and the rounding of pages and documents."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

LABELS: dict[str, Promise] = {
    "overall": pgettext_lazy("evaluation", "All episodes"),
    "received": pgettext_lazy("evaluation", "Received treatment"),
    "accepted_not_received": pgettext_lazy("evaluation", "Accepted, not received"),
    "rejected": pgettext_lazy("evaluation", "Rejected"),
    "undecided": pgettext_lazy("evaluation", "Undecided"),
    "excluded": pgettext_lazy("evaluation", "Left out before the landmark"),
    "partner": pgettext_lazy("evaluation", "Partner or spouse (incl. former)"),
    "prior_order": pgettext_lazy("evaluation", "Prohibition order before advice"),
    "prior_arrest": pgettext_lazy("evaluation", "Arrest before advice"),
    "recurrence": pgettext_lazy("evaluation", "Recurrence"),
    "any_measure": pgettext_lazy("evaluation", "Recurrence or any police measure"),
}


def group_label(key: str) -> str:
    return str(LABELS.get(key, key))


term_label = group_label


def pct(value: float | None) -> str:
    """A proportion as a percentage to one decimal ("" when null)."""
    return "" if value is None else f"{100 * value:.1f}"


def ratio(value: float | None) -> str:
    """A ratio or statistic to two decimals ("" when null or unbounded)."""
    return "" if value is None else f"{value:.2f}"


def caveat() -> str:
    return _(
        "Offenders chose whether to accept treatment, so these differences are an "
        "association, not proof that treatment reduces recurrence."
    )


def evalue_sentence(evalue: dict[str, Any] | None) -> str:
    if not evalue or evalue.get("point") is None:
        return _("No E-value: the model has no term for received treatment.")
    text = _(
        "E-value %(point)s: an unmeasured factor would have to be associated with both "
        "treatment and recurrence by a risk ratio of at least %(point)s to explain this "
        "difference away"
    ) % {"point": ratio(evalue["point"])}
    limit = evalue.get("limit")
    if limit is None or limit <= 1.0:
        return text + _("; the confidence interval already includes no difference.")
    return text + _(
        ", and of at least %(limit)s to move its confidence interval to include none."
    ) % {"limit": ratio(limit)}


def small_group_note(label: str) -> str:
    return _(
        "%(group)s: fewer than 10 episodes, so no curve or ratio is shown (too few to "
        "estimate anything reliably)."
    ) % {"group": label}
