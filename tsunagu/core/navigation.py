"""The main menu: one list of entries, each with the roles that see it, grouped by task.

This is the only place the menu is defined; `base.html` renders what `menu_for`
derives from it for the signed-in user. Entries name their page by URL name (a
string), so core imports none of the apps above it; `test_navigation` checks that
each entry's roles are exactly the roles its page lets in.

A menu of up to `FLAT_UP_TO` links is shown flat; a longer one (the supervisor's)
is grouped by task, each group a <details> menu that works without JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tsunagu.core.models import Role

OFF, S, C, A, AD = Role.OFFICER, Role.SUPERVISOR, Role.CLINICIAN, Role.ANALYST, Role.ADMIN
POLICE = frozenset({OFF, S})
EVERYONE = frozenset(Role)

# group key -> its label, in menu order.
GROUPS: dict[str, Promise] = {
    "cases": _("Cases"),
    "referrals": _("Referrals and clinics"),
    "statistics": _("Statistics"),
    "admin": _("Administration"),
    "": _("Other"),  # entries shown on their own, never inside a menu
}
FLAT_UP_TO = 7


@dataclass(frozen=True)
class Entry:
    url_name: str
    label: Promise
    roles: frozenset[Role]
    group: str
    id: str = ""
    badge: str = ""  # the template context variable holding a count to show beside it


MENU: tuple[Entry, ...] = (
    Entry("core:home", _("Home"), POLICE, "cases"),
    Entry("cases:list", _("Cases"), POLICE, "cases"),
    Entry("cases:new", _("New case"), POLICE, "cases"),
    Entry("risk:supervisor", _("Risk levels"), frozenset({S}), "cases"),
    Entry("treatment:portal", _("Referrals to my clinic"), frozenset({C}), "referrals"),
    Entry("treatment:referrals", _("Referrals"), POLICE, "referrals"),
    Entry("treatment:clinics", _("Cooperating clinics"), POLICE, "referrals"),
    Entry("treatment:intervals", _("Follow-up intervals"), frozenset({S}), "referrals"),
    Entry("reports:programme", _("Programme report"), frozenset({S, A}), "statistics"),
    Entry("reports:evaluation", _("Treatment and recurrence"), frozenset({S, A}), "statistics"),
    Entry("reports:annual", _("Stalking statistics"), frozenset({S, A}), "statistics"),
    Entry("reports:releases", _("Releases"), frozenset({S, A}), "statistics"),
    Entry("risk:analyst", _("Risk levels"), frozenset({A}), "statistics"),
    Entry("interchange:import", _("Import"), frozenset({S}), "admin"),
    Entry("interchange:export", _("Export"), frozenset({S}), "admin"),
    Entry("core:prefecture_users", _("Prefecture users"), frozenset({S}), "admin"),
    Entry("core:users", _("Users"), frozenset({AD}), "admin"),
    Entry("core:approvals", _("Account approvals"), frozenset({S, AD}), "admin"),
    Entry("core:audit_log", _("Audit log"), frozenset({S, AD}), "admin"),
    Entry("core:security", _("Sign-in security"), frozenset({S, AD}), "admin"),
    Entry("risk:instruments", _("Risk instruments"), frozenset({S, AD}), "admin"),
    Entry("notifications:deliveries", _("Email deliveries"), frozenset({AD}), "admin"),
    Entry(
        "notifications:inbox", _("Notices"), EVERYONE, "", id="notices-link", badge="notices_unread"
    ),
)


@dataclass(frozen=True)
class Link:
    url: str
    label: Promise
    id: str
    badge: str
    current: bool


@dataclass(frozen=True)
class Group:
    key: str
    label: Promise
    links: list[Link]
    current: bool


def entries_for(role: str) -> list[Entry]:
    return [e for e in MENU if role in e.roles]


def menu_for(role: str, view_name: str | None) -> dict[str, Any]:
    """The user's menu: `groups` (in GROUPS order) and whether to show them as menus."""
    entries = entries_for(role)
    by_group: dict[str, list[Link]] = {key: [] for key in GROUPS}
    for e in entries:
        by_group[e.group].append(
            Link(reverse(e.url_name), e.label, e.id, e.badge, e.url_name == view_name)
        )
    groups = [
        Group(key, GROUPS[key], links, any(link.current for link in links))
        for key, links in by_group.items()
        if links
    ]
    grouped = len(entries) > FLAT_UP_TO and len([g for g in groups if g.key]) > 1
    return {"groups": groups, "grouped": grouped}
