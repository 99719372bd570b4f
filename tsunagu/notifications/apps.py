from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "tsunagu.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        """Subscribe to the writes of the apps below; none of them imports this app."""
        from tsunagu.notifications import hooks

        hooks.connect()
