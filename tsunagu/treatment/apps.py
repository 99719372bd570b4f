from django.apps import AppConfig


class TreatmentConfig(AppConfig):
    name = "tsunagu.treatment"
    label = "treatment"
    verbose_name = "Treatment loop"

    def ready(self) -> None:
        """Plug the loop into the case registry, which never imports it."""
        from tsunagu.cases import labels, pages
        from tsunagu.cases.signals import timeline_changed
        from tsunagu.treatment import panels
        from tsunagu.treatment.home_marks import marks_refresh
        from tsunagu.treatment.loop import referrals_refresh
        from tsunagu.treatment.templatetags.treatment_tags import DETAIL_READERS

        # Referral stages are a cache of the timeline: refreshed with any event.
        timeline_changed.connect(referrals_refresh, dispatch_uid="treatment.referral_stage")
        # So are the home page's follow-up sources and condition breaches.
        timeline_changed.connect(marks_refresh, dispatch_uid="treatment.home_marks")
        labels.DETAIL_READERS.update(DETAIL_READERS)
        pages.register_case_panel("treatment/_case_panel.html", panels.case_panel_context)
        pages.register_home_panel("treatment/_officer_home.html", panels.officer_home_context)

        from tsunagu.core import affiliations, audit_actions
        from tsunagu.treatment.names import NAMERS, timeline_details
        from tsunagu.treatment.staff import ClinicAffiliation

        audit_actions.TARGET_NAMERS.update(NAMERS)
        if timeline_details not in labels.CASE_DETAIL_READERS:
            labels.CASE_DETAIL_READERS.append(timeline_details)

        affiliations.register(ClinicAffiliation())
