from django.apps import AppConfig


class InterchangeConfig(AppConfig):
    name = "tsunagu.interchange"
    label = "interchange"
