from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from tsunagu.core import account_views, mfa_views, token_views, views

app_name = "core"
urlpatterns = [
    path(
        "login/",
        mfa_views.SignInView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("mfa/", mfa_views.mfa_home, name="mfa"),
    path("mfa/totp/", mfa_views.totp_confirm, name="mfa_totp"),
    path("mfa/recovery/", mfa_views.recovery_new, name="mfa_recovery"),
    path("mfa/recovery/passkey/", mfa_views.recovery_after_passkey, name="mfa_recovery_passkey"),
    path("mfa/passkeys/<int:pk>/remove/", mfa_views.passkey_remove, name="mfa_passkey_remove"),
    path("mfa/step-up/", mfa_views.step_up, name="mfa_stepup"),
    path("security/", mfa_views.security, name="security"),
    path("security/unlock/<int:pk>/", mfa_views.unlock, name="security_unlock"),
    path("security/limit/<int:pk>/", mfa_views.raise_limit, name="security_limit"),
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
    path("account/tokens/", token_views.token_list, name="tokens"),
    path("account/tokens/<int:pk>/revoke/", token_views.token_revoke, name="token_revoke"),
]
