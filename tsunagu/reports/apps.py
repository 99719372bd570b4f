from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "tsunagu.reports"
    label = "reports"
