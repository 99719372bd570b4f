"""What the interchange tells apps built on it, which it never imports.

`import_failed` is sent, outside any transaction, when a confirmed import wrote
nothing (its rows were refused, or its files could not be read), with `actor`
(the user who started it). A finished import is its audit event
(`interchange.import`).
"""

from __future__ import annotations

from django.dispatch import Signal

import_failed = Signal()
