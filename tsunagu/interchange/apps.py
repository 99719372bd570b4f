from django.apps import AppConfig


class InterchangeConfig(AppConfig):
    name = "tsunagu.interchange"
    label = "interchange"

    def ready(self) -> None:
        # Staged uploads hold plaintext: those left over from before a restart go.
        from tsunagu.interchange import uploads

        try:
            uploads.purge()
        except OSError:  # a read-only or missing data folder: nothing to purge
            pass
