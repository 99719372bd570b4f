from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "tsunagu.cases"
    label = "cases"
    verbose_name = "Case registry"

    def ready(self) -> None:
        """Plug the registry into core's pages, which never import it."""
        from tsunagu.cases import audit_names, labels, views
        from tsunagu.core import audit_actions
        from tsunagu.core import views as core_views

        if views.officer_home not in core_views.POLICE_HOME:
            core_views.POLICE_HOME.append(views.officer_home)
        audit_actions.FAMILY_LABELS["event"] = labels.event_label
        audit_actions.TARGET_NAMERS.update(audit_names.NAMERS)
