"""The default cache backend: Django's file-based cache with a cheaper cull check.

Django's `FileBasedCache` lists its folder on every `set` to see whether it holds
more than `MAX_ENTRIES` files (a glob that joins every name to the folder's path):
with some hundreds of reports' parts cached, that listing cost more than the
write. Here the folder's names are counted without a glob, and Django's own
cull runs only when there may be too many.
"""

from __future__ import annotations

import os

from django.core.cache.backends import filebased


class FileBasedCache(filebased.FileBasedCache):
    def _cull(self) -> None:
        # Every name in the folder, counted in C: an upper bound of the entries
        # (the folder holds the cache's files only), checked exactly when reached.
        try:
            count = len(os.listdir(self._dir))  # type: ignore[attr-defined]
        except FileNotFoundError:
            return
        if count >= self._max_entries:
            super()._cull()  # type: ignore[misc]
