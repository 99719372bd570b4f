"""What the case registry tells the apps built on it.

`timeline_changed` is sent, inside the writing transaction, after events reach a
case's timeline (a recorded event, a correction). Apps that keep a cache of what
the timeline derives (the treatment loop's referral stages) listen to it, so the
registry never imports them.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent with `case` (the locked Case row whose timeline changed).
timeline_changed = Signal()
