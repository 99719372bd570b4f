from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "tsunagu.risk"
    label = "risk"
    verbose_name = "Risk assessment"

    def ready(self) -> None:
        """Plug risk assessment into the case registry, which never imports it."""
        from tsunagu.cases import labels, pages
        from tsunagu.cases.signals import timeline_changed
        from tsunagu.risk import panels
        from tsunagu.risk.services import assessments_refresh

        # Which assessment counts is a cache of the timeline (corrections void one).
        timeline_changed.connect(assessments_refresh, dispatch_uid="risk.current")
        pages.register_case_panel("risk/_case_panel.html", panels.case_panel_context)
        pages.register_home_panel("risk/_home_panel.html", panels.home_panel_context)
        # The timeline words a level by its instrument's label, not its code.
        if panels.timeline_details not in labels.CASE_DETAIL_READERS:
            labels.CASE_DETAIL_READERS.append(panels.timeline_details)
