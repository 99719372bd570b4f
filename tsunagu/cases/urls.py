from __future__ import annotations

from django.urls import path

from tsunagu.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("<int:pk>/", views.case_detail, name="detail"),
]
