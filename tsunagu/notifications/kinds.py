"""The one vocabulary of notices: each kind's code and its label.

A notice and its email carry only the kind (and, in the app, a link that enforces
sign-in, the second factor and scope like every page). Nothing else.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

REFERRAL_NEW = "referral_new"
REFERRAL_OVERDUE = "referral_overdue"
REFERRAL_ESCALATED = "referral_escalated"
REFERRAL_STATUS = "referral_status"
FOLLOWUP_DUE = "followup_due"
CONTACT_REPORT = "contact_report"
ACCOUNT_APPROVAL = "account_approval"
LOCKOUT = "lockout"
REVEAL_VOLUME = "reveal_volume"
IMPORT_DONE = "import_done"
IMPORT_FAILED = "import_failed"

LABELS = {
    REFERRAL_NEW: _("A new referral"),
    REFERRAL_OVERDUE: _("A referral not acknowledged by its deadline"),
    REFERRAL_ESCALATED: _("An overdue referral escalated"),
    REFERRAL_STATUS: _("A clinic status change"),
    FOLLOWUP_DUE: _("A follow-up due or overdue"),
    CONTACT_REPORT: _("A contact report under an active condition"),
    ACCOUNT_APPROVAL: _("An account change waiting for approval"),
    LOCKOUT: _("An account locked out"),
    REVEAL_VOLUME: _("Unusual reveal volume"),
    IMPORT_DONE: _("An import finished"),
    IMPORT_FAILED: _("An import failed"),
}
KINDS = tuple(LABELS)
CHOICES = [(k, v) for k, v in LABELS.items()]

# How a user wants each kind by email.
INBOX = "inbox"
IMMEDIATE = "immediate"
DIGEST = "digest"
MODE_LABELS = {
    INBOX: _("Inbox only"),
    IMMEDIATE: _("Email at once"),
    DIGEST: _("Daily email digest"),
}
MODES = tuple(MODE_LABELS)
