"""Login form with one answer for unknown users and wrong passwords."""

from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "Unknown user name or wrong password.",
        "inactive": "Unknown user name or wrong password.",
    }
