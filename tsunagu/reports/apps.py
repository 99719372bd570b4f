from typing import Any

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "tsunagu.reports"
    label = "reports"

    def ready(self) -> None:
        from tsunagu.cases.signals import bulk_written

        bulk_written.connect(_refresh_rollup, dispatch_uid="reports.annual_rollup")


def _refresh_rollup(**kwargs: Any) -> None:
    """An import's cells of the annual rollup, recounted in its own transaction."""
    from tsunagu.reports import rollup

    rollup.refresh_all()
