"""Registration, import, export and duplicate review pages: thin views over services.

Reads go through the scoped selectors (out of scope = 404, like a missing record);
writes through ``resettle.registry.services``. Uploaded files stay on the server (data
directory, mode 0600) and are named by a random token kept in the session, never in a URL.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from resettle.accounts.policy import Action
from resettle.accounts.selectors import require
from resettle.audit.services import record_read
from resettle.registry import exporting, selectors, services
from resettle.registry.duplicates import open_candidates, refresh_queue
from resettle.registry.forms import (
    AddMemberForm,
    ExportForm,
    ImportUploadForm,
    NewPersonForm,
    PersonForm,
    PrincipalForm,
    RelationshipForm,
    RemoveMemberForm,
    ResolveForm,
)
from resettle.registry.importing import COLUMN_NAMES, REQUIRED
from resettle.registry.models import DuplicateCandidate, PersonChange, Relationship
from resettle.registry.tabular import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    TableError,
    read_table,
    table_format,
)
from resettle.web.presenters import person_fields, person_row

IMPORT_SESSION_KEY = "resettle_import"
PREVIEW_LIMIT = 200


# --- persons ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest) -> HttpResponse:
    scope = require(request.user, Action.EDIT_REGISTRY)
    form = NewPersonForm(request.POST or None, scope=scope)
    if request.method == "POST" and form.is_valid():
        reference = form.cleaned_data["household_reference"].strip()
        relationship = form.cleaned_data["relationship"]
        household = selectors.households_for(request.user).filter(reference=reference).first()
        try:
            if household is None and relationship != Relationship.PRINCIPAL:
                raise services.RegistryError(
                    f"There is no case '{reference}' you can see; register its principal "
                    "applicant first (relationship: principal).")
            if household is not None and relationship == Relationship.PRINCIPAL:
                raise services.RegistryError(
                    f"Case '{reference}' already has a principal applicant; register this "
                    "person with another relationship, then change the principal.")
            person = services.create_person(
                actor=request.user,
                registration_id=form.cleaned_data["registration_id"],
                values=form.person_values(),
                household=household,
                relationship=relationship,
                new_household_reference=reference if household is None else "",
            )
        except services.RegistryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Person registered.")
            return HttpResponseRedirect(reverse("web:person", args=[person.pk]))
    return render(request, "registry/person_form.html", {"form": form, "creating": True})


@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, person_id: str) -> HttpResponse:
    scope = require(request.user, Action.EDIT_REGISTRY)
    person = selectors.get_person(request.user, person_id)
    if request.method == "GET":
        record_read(actor=request.user, action="person.view", obj=person)
    conflict: dict[str, Any] | None = None
    if request.method == "POST":
        form = PersonForm(request.POST, scope=scope)
        if form.is_valid():
            version = form.cleaned_data.get("version") or 0
            try:
                services.update_person(actor=request.user, person_id=person.pk,
                                       expected_version=version, values=form.person_values())
            except services.EditConflict as exc:
                conflict = _conflict_context(request, exc, form)
                # the next save is made knowingly over the newer version
                data = request.POST.copy()
                data["version"] = str(exc.current.version)
                form = PersonForm(data, scope=scope)
                form.is_valid()
            except services.RegistryError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Changes saved.")
                return HttpResponseRedirect(reverse("web:person", args=[person.pk]))
    else:
        form = PersonForm(initial=PersonForm.initial_for(person), scope=scope)
    history = PersonChange.objects.filter(person=person).select_related("actor").order_by(
        "-person_version", "-at")[:50]
    return render(request, "registry/person_form.html", {
        "form": form, "person": person, "conflict": conflict, "history": history,
        "creating": False,
    })


def _conflict_context(
    request: HttpRequest, exc: services.EditConflict, form: PersonForm
) -> dict[str, Any]:
    """What changed since the user opened the record: field, stored value, their value."""
    current = exc.current
    stored = PersonForm.initial_for(current)
    rows: list[tuple[str, Any, str]] = []
    for name in exc.changed_fields:
        if name not in form.fields:
            rows.append((name.replace("_", " "), "changed", ""))
            continue
        rows.append((str(form.fields[name].label or name.replace("_", " ").capitalize()),
                     stored.get(name, ""), request.POST.get(name, "")))
    return {"rows": rows, "version": current.version}


# --- households ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def household_edit(request: HttpRequest, household_id: str) -> HttpResponse:
    require(request.user, Action.EDIT_REGISTRY)
    household = selectors.get_household(request.user, household_id)
    if request.method == "GET":
        record_read(actor=request.user, action="household.view", obj=household)
    if request.method == "POST":
        response = _household_operation(request, household)
        if response is not None:
            return response
        return HttpResponseRedirect(reverse("registry:household_edit", args=[household.pk]))
    return _household_page(request, household)


def _household_page(request: HttpRequest, household: Any, status: int = 200,
                    **forms: Any) -> HttpResponse:
    members = list(selectors.active_members(household))
    return render(request, "registry/household_edit.html", {
        "household": household,
        "members": members,
        "add_form": forms.get("add") or AddMemberForm(),
        "principal_form": forms.get("principal") or PrincipalForm(),
        "relationships": [c for c in Relationship.choices if c[0] != Relationship.PRINCIPAL],
    }, status=status)


def _household_operation(request: HttpRequest, household: Any) -> HttpResponse | None:
    op = request.POST.get("op", "")
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        return HttpResponseBadRequest("Missing or malformed form.")
    try:
        if op == "add":
            add = AddMemberForm(request.POST)
            if not add.is_valid():
                return _household_page(request, household, 400, add=add)
            person = selectors.persons_for(request.user).filter(
                registration_id=add.cleaned_data["registration_id"].strip()).first()
            if person is None:
                raise services.RegistryError("No person with that registration id.")
            services.add_member(actor=request.user, household_id=household.pk,
                                expected_version=version, person=person,
                                relationship=add.cleaned_data["relationship"])
            messages.success(request, "Member added.")
        elif op == "remove":
            remove = RemoveMemberForm(request.POST)
            if not remove.is_valid():
                raise services.RegistryError("Say why the person leaves the household.")
            services.remove_member(actor=request.user, household_id=household.pk,
                                   expected_version=version,
                                   person_id=remove.cleaned_data["person"],
                                   reason=remove.cleaned_data["reason"])
            messages.success(request, "Member removed.")
        elif op == "relationship":
            rel = RelationshipForm(request.POST)
            if not rel.is_valid():
                return HttpResponseBadRequest("Missing or malformed form.")
            services.change_relationship(actor=request.user, household_id=household.pk,
                                         expected_version=version,
                                         person_id=rel.cleaned_data["person"],
                                         relationship=rel.cleaned_data["relationship"])
            messages.success(request, "Relationship changed.")
        elif op == "principal":
            principal = PrincipalForm(request.POST)
            if not principal.is_valid():
                return _household_page(request, household, 400, principal=principal)
            services.change_principal(
                actor=request.user, household_id=household.pk, expected_version=version,
                person_id=principal.cleaned_data["person"],
                former_principal_relationship=principal.cleaned_data["former_relationship"])
            messages.success(request, "Principal applicant changed.")
        else:
            return HttpResponseBadRequest("Unknown operation.")
    except services.EditConflict:
        messages.error(request, "Someone else changed this household since you opened it. "
                       "Here it is as it is now: check it and repeat your change.")
    except services.RegistryError as exc:
        messages.error(request, str(exc))
    return None


# --- import ----------------------------------------------------------------------------


def _import_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _stored_upload(request: HttpRequest) -> tuple[Path, str] | None:
    info = request.session.get(IMPORT_SESSION_KEY)
    if not isinstance(info, dict):
        return None
    token, name = str(info.get("token", "")), str(info.get("name", ""))
    if not token.isalnum():
        return None
    path = _import_dir() / token
    return (path, name) if path.is_file() else None


def _discard_upload(request: HttpRequest) -> None:
    stored = _stored_upload(request)
    if stored is not None:
        stored[0].unlink(missing_ok=True)
    request.session.pop(IMPORT_SESSION_KEY, None)


@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.IMPORT)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            table_format(upload.name)
        except TableError as exc:
            form.add_error("file", str(exc))
        else:
            _discard_upload(request)
            token = secrets.token_hex(16)
            fd = os.open(_import_dir() / token, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            request.session[IMPORT_SESSION_KEY] = {"token": token,
                                                   "name": Path(upload.name).name}
            return HttpResponseRedirect(reverse("registry:import_preview"))
    return render(request, "registry/import.html", {
        "form": form, "columns": COLUMN_NAMES, "required": REQUIRED,
    })


@require_safe
def import_preview(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.IMPORT)
    stored = _stored_upload(request)
    if stored is None:
        messages.error(request, "Upload a file first.")
        return HttpResponseRedirect(reverse("registry:import"))
    path, name = stored
    plan, problem = _run_import(request, path, name, dry_run=True)
    return render(request, "registry/import_preview.html", {
        "name": name, "plan": plan, "problem": problem, "limit": PREVIEW_LIMIT,
        "created": plan.created[:PREVIEW_LIMIT] if plan else [],
        "changed": plan.changed[:PREVIEW_LIMIT] if plan else [],
        "issues": plan.issues[:1000] if plan else [],
    })


def _run_import(request: HttpRequest, path: Path, name: str,
                dry_run: bool) -> tuple[Any, str]:
    try:
        table = read_table(path.read_bytes(), name)
        return services.import_persons(actor=request.user, table=table, dry_run=dry_run), ""
    except TableError as exc:
        return None, str(exc)
    except services.RegistryError as exc:
        return None, str(exc)


@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.IMPORT)
    if "cancel" in request.POST:
        _discard_upload(request)
        messages.info(request, "Import cancelled; the uploaded file was deleted.")
        return HttpResponseRedirect(reverse("registry:import"))
    stored = _stored_upload(request)
    if stored is None:
        messages.error(request, "Upload a file first.")
        return HttpResponseRedirect(reverse("registry:import"))
    path, name = stored
    plan, problem = _run_import(request, path, name, dry_run=False)
    if plan is None or plan.issues:
        messages.error(request, problem or "The file has problems; nothing was imported.")
        return HttpResponseRedirect(reverse("registry:import_preview"))
    _discard_upload(request)
    counts = plan.counts()
    messages.success(
        request,
        f"Imported {counts['rows']} rows: {counts['created']} persons created, "
        f"{counts['updated']} updated, {counts['unchanged']} unchanged, "
        f"{counts['households_created']} households created.",
    )
    return HttpResponseRedirect(reverse("registry:import"))


@require_safe
def import_template(request: HttpRequest) -> HttpResponse:
    """An empty CSV with the documented header and one example row."""
    require(request.user, Action.IMPORT)
    example = ["R-000001", "H-0001", "principal", "Hossein", "Karimi", "حسین", "کریمی", "M",
               "1980-03", "IRN", "fa;en", "SM", "+964 770 000 0000", "P1234567", "DE", ""]
    import io

    from resettle.registry.tabular import write_csv

    out = io.StringIO()
    write_csv(out, list(COLUMN_NAMES), [example])
    response = HttpResponse(out.getvalue().encode("utf-8"), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="persons-template.csv"'
    return response


# --- export ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def export_persons(request: HttpRequest) -> HttpResponse:
    scope = require(request.user, Action.EXPORT)
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fmt = form.cleaned_data["format"]
        data, count, columns = exporting.export(selectors.persons_for(request.user), scope, fmt)
        services.record_export(actor=request.user, fmt=fmt, rows=count, columns=columns,
                               via="web")
        response = HttpResponse(
            data, content_type=CSV_CONTENT_TYPE if fmt == "csv" else XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="persons.{fmt}"'
        response["Cache-Control"] = "no-store"
        return response
    return render(request, "registry/export.html", {
        "form": form, "columns": exporting.visible_columns(scope),
        "count": selectors.persons_for(request.user).count(),
    })


# --- duplicates ------------------------------------------------------------------------


@require_safe
def duplicates(request: HttpRequest) -> HttpResponse:
    scope = require(request.user, Action.EDIT_REGISTRY)
    candidates = list(open_candidates(scope)[:100])
    pairs = [
        (c, person_row(c.first, scope), person_row(c.second, scope),
         [label for _n, label, _v in person_fields(c.first, scope)])
        for c in candidates
    ]
    return render(request, "registry/duplicates.html", {
        "pairs": pairs, "total": open_candidates(scope).count(),
    })


@require_POST
def duplicates_scan(request: HttpRequest) -> HttpResponse:
    scope = require(request.user, Action.EDIT_REGISTRY)
    result = refresh_queue(actor=request.user, scope=scope)
    messages.success(request, f"Scan done: {len(result.pairs)} likely pairs among "
                              f"{result.stats.records} persons.")
    return HttpResponseRedirect(reverse("registry:duplicates"))


@require_POST
def duplicate_resolve(request: HttpRequest) -> HttpResponse:
    scope = require(request.user, Action.EDIT_REGISTRY)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Missing or malformed form.")
    candidate = open_candidates(scope).filter(pk=form.cleaned_data["candidate"]).first()
    if candidate is None:
        messages.error(request, "That pair is no longer in the queue.")
        return HttpResponseRedirect(reverse("registry:duplicates"))
    try:
        if form.cleaned_data["decision"] == "distinct":
            services.mark_distinct(actor=request.user, candidate_id=candidate.pk)
            messages.success(request, "Marked as two different persons.")
        else:
            _merge(request, candidate, form)
    except services.EditConflict:
        messages.error(request, "One of the records changed since the page was shown; "
                                "check the pair again.")
    except services.RegistryError as exc:
        messages.error(request, str(exc))
    return HttpResponseRedirect(reverse("registry:duplicates"))


def _merge(request: HttpRequest, candidate: DuplicateCandidate, form: ResolveForm) -> None:
    keep = form.cleaned_data.get("keep") or candidate.first_id
    if keep not in (candidate.first_id, candidate.second_id):
        raise services.RegistryError("Choose one of the two records to keep.")
    first_version = form.cleaned_data.get("first_version") or candidate.first.version
    second_version = form.cleaned_data.get("second_version") or candidate.second.version
    if keep == candidate.first_id:
        survivor, merged = candidate.first, candidate.second
        versions = (first_version, second_version)
    else:
        survivor, merged = candidate.second, candidate.first
        versions = (second_version, first_version)
    result = services.merge_persons(
        actor=request.user, survivor_id=survivor.pk, merged_id=merged.pk,
        survivor_version=versions[0], merged_version=versions[1], candidate_id=candidate.pk)
    messages.success(request, f"Merged {result.merged_registration_id} into "
                              f"{result.survivor.registration_id}.")
