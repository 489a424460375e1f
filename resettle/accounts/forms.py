"""Sign-in forms: one answer for unknown users and wrong passwords; one-time codes."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm

SAME_ANSWER = "Unknown user name or wrong password."


class LoginForm(AuthenticationForm):
    error_messages = {"invalid_login": SAME_ANSWER, "inactive": SAME_ANSWER}


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True,
                   "spellcheck": "false"}
        ),
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split())


class UserActionForm(forms.Form):
    """An administrator's action on one account; the id travels in the body, not the URL."""

    user_id = forms.IntegerField(min_value=1)
    action = forms.ChoiceField(choices=[("end_sessions", "End all sessions"),
                                        ("reset_2fa", "Reset two-factor"),
                                        ("issue_code", "Issue enrolment code")])


class EnrolmentCodeForm(forms.Form):
    """The one-time code an administrator issued for the first enrolment."""

    enrolment_code = forms.CharField(
        label="Enrolment code",
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autofocus": True, "spellcheck": "false",
                   "autocapitalize": "characters"}
        ),
    )

    def clean_enrolment_code(self) -> str:
        return "".join(self.cleaned_data["enrolment_code"].split())
