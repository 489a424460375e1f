"""Sign in (password, then the second factor), enrolment, recovery codes, user sessions."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp import login as otp_login

from resettle.accounts import services
from resettle.accounts.forms import CodeForm, EnrolmentCodeForm, LoginForm, UserActionForm
from resettle.accounts.middleware import AFTER_2FA
from resettle.accounts.models import EnrolmentCode, RecoveryCodeDevice, SealedTOTPDevice
from resettle.accounts.policy import Action
from resettle.accounts.selectors import require, role_names
from resettle.audit.services import record


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
@method_decorator(require_http_methods(["GET", "POST"]), name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def _after_second_factor(request: HttpRequest) -> HttpResponseRedirect:
    target = request.session.pop(AFTER_2FA, "") or reverse(settings.LOGIN_REDIRECT_URL)
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = reverse(settings.LOGIN_REDIRECT_URL)
    return HttpResponseRedirect(target)


def _mark_verified(request: HttpRequest, device: Any) -> None:
    # a new session key at each privilege step: a planted session id is worthless
    request.session.cycle_key()
    otp_login(request, device)
    with transaction.atomic():
        record(actor=request.user, action="account.signed_in", object_type="auth.user",
               object_id=str(request.user.pk), detail={"factor": device._meta.model_name})


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Second step of signing in: a code from the authenticator app, or a recovery code."""
    if getattr(request.user, "is_verified", lambda: False)():
        return _after_second_factor(request)
    totp = SealedTOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if totp is None:
        return HttpResponseRedirect(reverse("accounts:enrol"))
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        throttled = not totp.verify_is_allowed()[0]
        device: Any = None
        if code.isdigit() and totp.verify_token(code):
            device = totp
        elif not code.isdigit():
            recovery = RecoveryCodeDevice.objects.filter(user=request.user).first()
            if recovery is not None and recovery.verify_token(code):
                device = recovery
        if device is not None:
            _mark_verified(request, device)
            if device is not totp:
                left = device.codes.count()
                messages.warning(request, f"Recovery code used; {left} left. Replace them soon.")
            return _after_second_factor(request)
        error = ("Too many wrong codes; wait a little and try again." if throttled
                 else "That code is not valid.")
    return render(request, "accounts/verify.html", {"form": form, "error": error})


#: session key: the enrolment code this session entered and the authenticator it was shown
ENROL_GRANT = "resettle_enrol_grant"


def _grant(request: HttpRequest) -> dict[str, Any] | None:
    """This session's enrolment grant while its code is still open; None otherwise."""
    grant = request.session.get(ENROL_GRANT)
    if not isinstance(grant, dict) or grant.get("user") != str(request.user.pk):
        return None
    code_id = grant.get("code")
    still_open = isinstance(code_id, int) and EnrolmentCode.objects.filter(
        pk=code_id, user_id=cast(Any, request.user).pk, used_at__isnull=True,
        expires_at__gt=timezone.now()).exists()
    if not still_open:
        request.session.pop(ENROL_GRANT, None)
        return None
    return grant


def _enrolment_code_step(request: HttpRequest) -> HttpResponse:
    """First step outside demo mode: the one-time code an administrator handed over."""
    form = EnrolmentCodeForm(request.POST if "enrolment_code" in request.POST else None)
    error = ""
    if form.is_bound and form.is_valid():
        try:
            code = services.check_enrolment_code(user=request.user,
                                                 code=form.cleaned_data["enrolment_code"])
        except services.AccountError as exc:
            error = str(exc)
        else:
            # a fresh secret: one created before the code was entered is never used
            device = services.start_enrolment(user=request.user, fresh=True)
            request.session[ENROL_GRANT] = {"user": str(request.user.pk), "code": code.pk,
                                            "device": device.pk}
            return HttpResponseRedirect(reverse("accounts:enrol"))
    return render(request, "accounts/enrol_code.html", {"form": form, "error": error})


def _pending_device(request: HttpRequest, grant: dict[str, Any] | None) -> Any:
    """The authenticator this session may see: the one its grant names (codes required),
    else the user's pending one."""
    pending = SealedTOTPDevice.objects.filter(user=request.user, confirmed=False)
    if services.enrolment_code_required():
        if grant is None:
            return None
        pending = pending.filter(pk=grant.get("device"))
    return pending.first()


@sensitive_post_parameters("code", "enrolment_code")
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app: (enrolment code,) scan the QR code, confirm with one code."""
    if SealedTOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return HttpResponseRedirect(reverse("accounts:verify"))
    grant: dict[str, Any] | None = None
    if services.enrolment_code_required():
        grant = _grant(request)
        if grant is None or "enrolment_code" in request.POST:
            return _enrolment_code_step(request)
        device = _pending_device(request, grant)
        if device is None:  # replaced from another session: start over with the code
            request.session.pop(ENROL_GRANT, None)
            return _enrolment_code_step(request)
    else:
        device = services.start_enrolment(user=request.user)
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.confirm_enrolment(
                user=request.user, token=form.cleaned_data["code"],
                enrolment_code_id=grant["code"] if grant else None, device_id=device.pk,
            )
        except services.AccountError as exc:
            error = str(exc)
        else:
            request.session.pop(ENROL_GRANT, None)
            _mark_verified(request, device)
            return render(request, "accounts/recovery_codes.html",
                          {"codes": codes, "continue_url": _after_second_factor(request).url})
    return render(request, "accounts/enrol.html",
                  {"form": form, "error": error, "key": _grouped(device.base32_key)})


def _grouped(key: str) -> str:
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


@require_safe
def enrol_qr(request: HttpRequest) -> HttpResponse:
    """The pending authenticator's otpauth URI as an SVG QR code (no script, no inline style).

    Outside demo mode only to the session that entered the enrolment code.
    """
    import qrcode
    import qrcode.image.svg

    device = _pending_device(request, _grant(request))
    if device is None:
        raise Http404("No authenticator is waiting to be set up.")
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage,
                        box_size=10, border=2)
    response = HttpResponse(image.to_string(encoding="unicode"), content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Replace the signed-in user's recovery codes and show the new ones once."""
    try:
        codes = services.regenerate_recovery_codes(user=request.user)
    except services.AccountError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("accounts:security"))
    return render(request, "accounts/recovery_codes.html",
                  {"codes": codes, "continue_url": reverse("accounts:security")})


@require_safe
def security(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own account security: 2FA state, recovery codes left."""
    recovery = RecoveryCodeDevice.objects.filter(user=request.user).first()
    return render(request, "accounts/security.html", {
        "enrolled": SealedTOTPDevice.objects.filter(user=request.user, confirmed=True).exists(),
        "codes_left": recovery.codes.count() if recovery else 0,
        "require_2fa": settings.RESETTLE_REQUIRE_2FA,
    })


@require_http_methods(["GET", "POST"])
def users(request: HttpRequest) -> HttpResponse:
    """Administrators: every account, its roles, 2FA state and sessions; end or reset them,
    or issue an enrolment code (shown once, in this answer only)."""
    require(request.user, Action.MANAGE_USERS)
    issued: dict[str, Any] | None = None
    if request.method == "POST":
        form = UserActionForm(request.POST)
        if not form.is_valid():
            return HttpResponseRedirect(reverse("accounts:users"))
        target = get_user_model().objects.filter(pk=form.cleaned_data["user_id"]).first()
        if target is None:
            raise Http404("No such record.")
        action = form.cleaned_data["action"]
        try:
            if action == "end_sessions":
                ended = services.end_all_sessions(actor=request.user, user=target)
                messages.success(request,
                                 f"Ended {ended} session(s) of {target.get_username()}.")
                return HttpResponseRedirect(reverse("accounts:users"))
            if action == "reset_2fa":
                code = services.reset_second_factor(actor=request.user, user=target)
            else:
                code = services.issue_enrolment_code(actor=request.user, user=target)
        except services.AccountError as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("accounts:users"))
        if code is None:
            messages.success(request, f"Two-factor reset for {target.get_username()}.")
            return HttpResponseRedirect(reverse("accounts:users"))
        issued = {"username": target.get_username(), "code": code.code,
                  "expires_at": code.expires_at, "reset": action == "reset_2fa"}
    enrolled = set(SealedTOTPDevice.objects.filter(confirmed=True).values_list("user_id",
                                                                                flat=True))
    open_codes = dict(
        EnrolmentCode.objects.filter(used_at__isnull=True, expires_at__gt=timezone.now())
        .values_list("user_id", "expires_at"))
    rows = [
        {"user": u, "roles": ", ".join(role_names(u)) or "-", "enrolled": u.pk in enrolled,
         "code_until": open_codes.get(u.pk), "sessions": services.active_session_count(u)}
        for u in get_user_model().objects.order_by("username")
    ]
    response = render(request, "accounts/users.html", {"rows": rows, "issued": issued})
    if issued is not None:
        response["Cache-Control"] = "no-store"
    return response
