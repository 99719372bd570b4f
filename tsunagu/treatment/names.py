"""How the loop's objects are named for people, where the name needs the database.

The audit log's targets (`core.audit_actions.TARGET_NAMERS`): a clinic by its name,
a referral by its clinic and date, a follow-up by the event it follows and its due
date. The timeline's details (`cases.labels.CASE_DETAIL_READERS`): a referral by the
clinic's name (the event holds its code), a follow-up done with its outcome.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from django.utils.translation import gettext

from tsunagu.treatment.models import Clinic, FollowUp, Referral
from tsunagu.treatment.templatetags.treatment_tags import followup_label


def _pks(ids: Collection[str]) -> list[int]:
    return [int(i) for i in ids if str(i).isdigit()]


def clinic_names(ids: Collection[str]) -> dict[str, str]:
    return {
        str(pk): name
        for pk, name in Clinic.objects.filter(pk__in=_pks(ids)).values_list("pk", "name")
    }


def referral_names(ids: Collection[str]) -> dict[str, str]:
    rows = Referral.objects.filter(pk__in=_pks(ids)).values_list("pk", "clinic__name", "sent_on")
    return {
        str(pk): gettext("Referral to %(clinic)s (%(day)s)")
        % {"clinic": name, "day": f"{day:%Y-%m-%d}"}
        for pk, name, day in rows
    }


def followup_names(ids: Collection[str]) -> dict[str, str]:
    rows = FollowUp.objects.filter(pk__in=_pks(ids)).values_list("pk", "source_type", "due_on")
    return {str(pk): followup_label(f"{kind}|{day:%Y-%m-%d}") for pk, kind, day in rows}


NAMERS = {"clinic": clinic_names, "referral": referral_names, "followup": followup_names}


def timeline_details(events: Sequence[Any]) -> dict[int, str]:
    """Details of one case's events that need the database: two queries at most."""
    out: dict[int, str] = {}
    sent = [e for e in events if e.type == "referral_sent"]
    if sent:
        names = dict(
            Clinic.objects.filter(code__in={e.detail for e in sent}).values_list("code", "name")
        )
        out.update({e.pk: names[e.detail] for e in sent if e.detail in names})
    done = [e for e in events if e.type == "followup_done"]
    if done:
        outcomes = {
            (f.detail, f.done_on): f.outcome
            for f in FollowUp.objects.filter(case_id=done[0].case_id, done_on__isnull=False)
        }
        for e in done:
            outcome = outcomes.get((e.detail, e.date), "")
            text = followup_label(e.detail)
            out[e.pk] = f"{text}: {outcome}" if outcome else text
    return out
