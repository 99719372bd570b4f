from __future__ import annotations

from django.urls import path

from tsunagu.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_open, name="new"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/people/new/", views.person_add, name="person_add"),
    path("<int:pk>/people/<int:person_pk>/reveal/", views.victim_reveal, name="reveal"),
    path("<int:pk>/people/<int:person_pk>/revealed/", views.victim_revealed, name="revealed"),
    path("<int:pk>/events/new/", views.event_record, name="event_record"),
    path("<int:pk>/events/<int:event_pk>/correct/", views.event_correct, name="event_correct"),
    path("<int:pk>/status/", views.case_status, name="status"),
]
