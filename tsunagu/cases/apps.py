from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "tsunagu.cases"
    label = "cases"
    verbose_name = "Case registry"
