from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "tsunagu.risk"
    label = "risk"
    verbose_name = "Risk assessment"

    def ready(self) -> None:
        """Plug risk assessment into the case registry, which never imports it."""
        from tsunagu.cases import pages
        from tsunagu.cases.signals import timeline_changed
        from tsunagu.risk import panels
        from tsunagu.risk.services import assessments_refresh

        # Which assessment counts is a cache of the timeline (corrections void one).
        timeline_changed.connect(assessments_refresh, dispatch_uid="risk.current")
        pages.register_case_panel("risk/_case_panel.html", panels.case_panel_context)
        pages.register_home_panel("risk/_home_panel.html", panels.home_panel_context)
