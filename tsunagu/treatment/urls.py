from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from tsunagu.treatment import directory_views, views

app_name = "treatment"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.portal, name="portal"),
    path("referrals/", views.referral_list, name="referrals"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral"),
    path("referrals/<int:pk>/contacted/", views.referral_contacted, name="referral_contacted"),
    path("referrals/<int:pk>/consent/", views.referral_consent, name="referral_consent"),
    path("referrals/<int:pk>/<slug:action>/", views.referral_act, name="referral_act"),
    path("clinics/", directory_views.clinic_list, name="clinics"),
    path("clinics/new/", directory_views.clinic_new, name="clinic_new"),
    path("clinics/<int:pk>/", directory_views.clinic_detail, name="clinic"),
    path("clinics/<int:pk>/edit/", directory_views.clinic_edit, name="clinic_edit"),
    path("clinics/<int:pk>/staff/", directory_views.clinic_staff, name="clinic_staff"),
    path("clinics/<int:pk>/delete/", directory_views.clinic_delete, name="clinic_delete"),
    path("intervals/", views.intervals, name="intervals"),
    path("cases/<int:pk>/advise/", views.advise, name="advise"),
    path("cases/<int:pk>/respond/", views.respond, name="respond"),
    path("cases/<int:pk>/consent/", views.consent, name="consent"),
    path("cases/<int:pk>/refer/", views.refer, name="refer"),
    path("cases/<int:pk>/recurrence/", views.recurrence, name="recurrence"),
    path("cases/<int:pk>/contact/", views.contact_request, name="contact_request"),
    path("cases/<int:pk>/condition/", views.condition, name="condition"),
    path("cases/<int:pk>/condition/end/", views.condition_end, name="condition_end"),
    path("cases/<int:pk>/followup/", views.followup_plan, name="followup_plan"),
    path("followups/", views.followups, name="followups"),
    path("followups/<int:pk>/done/", views.followup_done, name="followup_done"),
]
