from __future__ import annotations

from django.urls import path

from tsunagu.reports import evaluation_views, views

app_name = "reports"
urlpatterns = [
    path("programme/", views.programme_report, name="programme"),
    path("programme/download/", views.programme_download, name="programme_download"),
    path("programme/episodes/", views.episodes, name="episodes"),
    path("annual/", views.annual_report, name="annual"),
    path("annual/download/", views.annual_download, name="annual_download"),
    path("releases/", views.releases, name="releases"),
    path("evaluation/", evaluation_views.evaluation_report, name="evaluation"),
    path("evaluation/download/", evaluation_views.evaluation_download, name="evaluation_download"),
    path("evaluation/episodes/", evaluation_views.evaluation_episodes, name="evaluation_episodes"),
]
