from django.urls import path

from tsunagu.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/open/", views.open_notice, name="open"),
    path("read/", views.mark_all_read, name="read_all"),
    path("preferences/", views.preferences_page, name="preferences"),
    path("deliveries/", views.deliveries, name="deliveries"),
]
