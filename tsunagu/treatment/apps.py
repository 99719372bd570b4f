from django.apps import AppConfig


class TreatmentConfig(AppConfig):
    name = "tsunagu.treatment"
    label = "treatment"
    verbose_name = "Treatment loop"
