"""What the interchange tells apps built on it, which it never imports.

`import_failed` is sent when a confirmed (not dry-run) import wrote nothing:
its rows were refused, its write conflicted and rolled back, or its files could
not be read; with `actor`, the user who started it (the page's or the API's
supervisor, the command's `--actor`). It is sent only after the import's own
transaction has ended, so a receiver writes in a transaction of its own that the
import's rollback does not undo. A finished import is its audit event
(`interchange.import`), written inside the import's transaction.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal

import_failed = Signal()


def send_import_failed(actor: Any) -> None:
    """Send `import_failed` for `actor`; nothing for an import without a user
    (the command without `--actor`, the demo): nobody to tell."""
    if actor is not None and getattr(actor, "pk", None):
        import_failed.send(sender=None, actor=actor)
