from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path

from resettle.accounts import views
from resettle.accounts.policy import Action
from resettle.accounts.routes import RouteRule

app_name = "accounts"

urlpatterns = [
    path("login/", login_not_required(views.LoginView.as_view()), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("verify/", views.verify, name="verify"),
    path("enrol/", views.enrol, name="enrol"),
    path("enrol/qr.svg", views.enrol_qr, name="enrol_qr"),
    path("security/", views.security, name="security"),
    path("security/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("users/", views.users, name="users"),
]

route_rules: dict[str, RouteRule] = {
    "login": RouteRule(action=None, public=True, methods=("GET", "POST")),
    "logout": RouteRule(action=None, methods=("POST",)),
    # reachable after the password step, before the second factor (see SecondFactorMiddleware)
    "verify": RouteRule(action=None, methods=("GET", "POST")),
    "enrol": RouteRule(action=None, methods=("GET", "POST")),
    # 404 unless an authenticator is waiting to be confirmed
    "enrol_qr": RouteRule(action=None, object_kind="pending_authenticator"),
    "security": RouteRule(action=None),
    "recovery_codes": RouteRule(action=None, methods=("POST",)),
    "users": RouteRule(action=Action.MANAGE_USERS, methods=("GET", "POST")),
}
