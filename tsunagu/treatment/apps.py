from django.apps import AppConfig


class TreatmentConfig(AppConfig):
    name = "tsunagu.treatment"
    label = "treatment"
    verbose_name = "Treatment loop"

    def ready(self) -> None:
        from tsunagu.core import affiliations
        from tsunagu.treatment.staff import ClinicAffiliation

        affiliations.register(ClinicAffiliation())
