from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from tsunagu.core import account_views, views

app_name = "core"
urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("audit/", views.audit_log, name="audit_log"),
    path("prefecture/users/", views.prefecture_user_list, name="prefecture_users"),
    path("users/", views.users, name="users"),
    path("users/new/", views.user_new, name="user_new"),
    path("users/<int:pk>/", views.user_edit, name="user_edit"),
    path("users/<int:pk>/password/", views.user_password, name="user_password"),
    path(
        "users/<int:pk>/sign-out-everywhere/",
        account_views.sign_out_everywhere,
        name="user_sign_out_everywhere",
    ),
    path(
        "users/<int:pk>/second-factor-reset/",
        account_views.second_factor_reset,
        name="user_second_factor_reset",
    ),
    path("approvals/", account_views.approvals, name="approvals"),
    path("approvals/<int:pk>/approve/", account_views.approval_approve, name="approval_approve"),
    path("approvals/<int:pk>/reject/", account_views.approval_reject, name="approval_reject"),
    path("account/password/", account_views.own_password, name="own_password"),
]
