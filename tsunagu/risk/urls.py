from __future__ import annotations

from django.urls import path

from tsunagu.risk import views

app_name = "risk"
urlpatterns = [
    path("cases/<int:pk>/assess/", views.choose, name="choose"),
    path("cases/<int:pk>/assess/<int:instrument_pk>/", views.assess, name="assess"),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment"),
    path("assessments/<int:pk>/reveal/", views.assessment_reveal, name="assessment_reveal"),
    path("assessments/<int:pk>/revealed/", views.assessment_revealed, name="assessment_revealed"),
    path("assessments/<int:pk>/review/", views.review_change, name="review_change"),
    path("actions/<int:pk>/done/", views.action_done, name="action_done"),
    path("instruments/", views.instruments, name="instruments"),
    path("supervisor/", views.supervisor, name="supervisor"),
    path("national/", views.analyst, name="analyst"),
]
