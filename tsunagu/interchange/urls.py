from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from tsunagu.interchange import views

app_name = "interchange"
urlpatterns: list[URLPattern | URLResolver] = [
    path("import/", views.import_upload, name="import"),
    path("import/confirm/", views.import_confirm, name="import_confirm"),
    path("export/", views.export_download, name="export"),
]
