"""What the case registry tells the apps built on it.

`timeline_changed` is sent, inside the writing transaction, after events reach a
case's timeline (a recorded event, a correction). Apps that keep a cache of what
the timeline derives (the treatment loop's referral stages) listen to it, so the
registry never imports them.

`bulk_written` is sent, inside the writing transaction, after a bulk write of
cases and events that bypassed the services (an import), so that apps keeping
a summary of them bring it up to date before the transaction commits (the
reports' annual rollup).
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent with `case` (the locked Case row whose timeline changed).
timeline_changed = Signal()
# Sent with no arguments, inside the transaction, after cases or events were written in bulk.
bulk_written = Signal()
