"""Registration forms. Field parsing reuses ``resettle.registry.values`` (same rules as import).

The person form shows only the field groups the user may see: a field the user may not
see is not in the form, so it can be neither read nor overwritten through it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from resettle.accounts.policy import FieldGroup
from resettle.accounts.selectors import Scope
from resettle.registry import values as v
from resettle.registry.models import Education, Person, Relationship, Site
from resettle.registry.values import format_birth, format_list

#: form field -> field group (the same map as the presenters and the export)
FORM_GROUPS: dict[str, FieldGroup] = {
    "given_name": FieldGroup.IDENTITY,
    "family_name": FieldGroup.IDENTITY,
    "given_name_original": FieldGroup.ORIGINAL_SCRIPT,
    "family_name_original": FieldGroup.ORIGINAL_SCRIPT,
    "sex": FieldGroup.IDENTITY,
    "date_of_birth": FieldGroup.IDENTITY,
    "dob_estimated": FieldGroup.IDENTITY,
    "nationality": FieldGroup.IDENTITY,
    "site": FieldGroup.IDENTITY,
    "languages": FieldGroup.PROFILE,
    "education": FieldGroup.PROFILE,
    "occupation": FieldGroup.PROFILE,
    "skills": FieldGroup.PROFILE,
    "ties": FieldGroup.PROFILE,
    "specific_needs": FieldGroup.NEEDS,
    "phone": FieldGroup.CONTACT,
}
_LISTS = {"languages": v.parse_languages, "ties": v.parse_countries,
          "specific_needs": v.parse_needs}


def _parsed(parser: Any, value: str) -> Any:
    try:
        return parser(value)
    except ValueError as exc:
        raise forms.ValidationError(str(exc)) from None


class PersonForm(forms.Form):
    given_name = forms.CharField(max_length=120, help_text="Latin script")
    family_name = forms.CharField(max_length=120, help_text="Latin script")
    given_name_original = forms.CharField(max_length=120, required=False,
                                          label="Given name (original script)")
    family_name_original = forms.CharField(max_length=120, required=False,
                                           label="Family name (original script)")
    sex = forms.ChoiceField(choices=[("F", "F"), ("M", "M"), ("X", "X")])
    date_of_birth = forms.CharField(
        max_length=10, help_text="YYYY-MM-DD, or YYYY-MM / YYYY when only estimated")
    dob_estimated = forms.BooleanField(required=False, label="Full date is an estimate")
    nationality = forms.CharField(max_length=3, help_text="ISO 3166 code (IR or IRN)")
    site = forms.ModelChoiceField(queryset=Site.objects.none())
    languages = forms.CharField(required=False, help_text="ISO 639 codes, separated by ;")
    education = forms.ChoiceField(choices=Education.choices, initial=Education.UNKNOWN)
    occupation = forms.CharField(max_length=120, required=False)
    skills = forms.CharField(max_length=255, required=False)
    ties = forms.CharField(required=False, label="Close relatives in",
                           help_text="ISO 3166 codes, separated by ;")
    specific_needs = forms.CharField(required=False, help_text="codes such as SM;DS-PM")
    phone = forms.CharField(max_length=40, required=False)
    #: the version the user opened (optimistic locking)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sites = Site.objects.all()
        if scope.site_ids is not None:
            sites = sites.filter(pk__in=list(scope.site_ids))
        site_field = self.fields["site"]
        assert isinstance(site_field, forms.ModelChoiceField)
        site_field.queryset = sites
        if sites.count() == 1:
            site_field.initial = sites.first()
        for name, group in FORM_GROUPS.items():
            if not scope.sees(group):
                del self.fields[name]

    def clean_given_name(self) -> str:
        return str(_parsed(v.parse_latin_name, self.cleaned_data["given_name"]))

    def clean_family_name(self) -> str:
        return str(_parsed(v.parse_latin_name, self.cleaned_data["family_name"]))

    def clean_given_name_original(self) -> str:
        return str(_parsed(v.parse_original_name, self.cleaned_data["given_name_original"]))

    def clean_family_name_original(self) -> str:
        return str(_parsed(v.parse_original_name, self.cleaned_data["family_name_original"]))

    def clean_date_of_birth(self) -> v.Birth:
        birth = _parsed(lambda t: v.parse_birth(t, today=timezone.localdate()),
                        self.cleaned_data["date_of_birth"])
        assert isinstance(birth, v.Birth)
        return birth

    def clean_nationality(self) -> str:
        return str(_parsed(v.parse_country, self.cleaned_data["nationality"]))

    def clean_phone(self) -> str:
        return str(_parsed(v.parse_phone, self.cleaned_data["phone"]))

    def clean_languages(self) -> list[str]:
        return list(_parsed(_LISTS["languages"], self.cleaned_data["languages"]))

    def clean_ties(self) -> list[str]:
        return list(_parsed(_LISTS["ties"], self.cleaned_data["ties"]))

    def clean_specific_needs(self) -> list[str]:
        return list(_parsed(_LISTS["specific_needs"], self.cleaned_data["specific_needs"]))

    def person_values(self) -> dict[str, Any]:
        """The model values of the fields in this form (hidden groups are absent)."""
        data = {k: v for k, v in self.cleaned_data.items() if k in FORM_GROUPS}
        birth = data.pop("date_of_birth", None)
        estimated = data.pop("dob_estimated", False)
        if isinstance(birth, v.Birth):
            data["date_of_birth"] = birth.date
            data["dob_precision"] = birth.precision
            data["dob_estimated"] = birth.estimated or bool(estimated)
        return data

    @staticmethod
    def initial_for(person: Person) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(person, name) for name in FORM_GROUPS
            if name not in ("date_of_birth", "site", *_LISTS)
        }
        initial["date_of_birth"] = format_birth(person.date_of_birth, person.dob_precision)
        initial["dob_estimated"] = person.dob_estimated and person.dob_precision == "day"
        initial["site"] = person.site_id
        for name in _LISTS:
            initial[name] = format_list(list(getattr(person, name)))
        initial["version"] = person.version
        return initial


class NewPersonForm(PersonForm):
    registration_id = forms.CharField(max_length=64)
    household_reference = forms.CharField(
        max_length=32, label="Case (household) reference",
        help_text="an existing case to join, or a new reference to open a case")
    relationship = forms.ChoiceField(choices=Relationship.choices,
                                     help_text="principal opens a new case")

    field_order = ["registration_id", "household_reference", "relationship"]


class AddMemberForm(forms.Form):
    registration_id = forms.CharField(max_length=64)
    relationship = forms.ChoiceField(
        choices=[c for c in Relationship.choices if c[0] != Relationship.PRINCIPAL])


class RemoveMemberForm(forms.Form):
    person = forms.UUIDField(widget=forms.HiddenInput)
    reason = forms.CharField(max_length=255)


class RelationshipForm(forms.Form):
    person = forms.UUIDField(widget=forms.HiddenInput)
    relationship = forms.ChoiceField(
        choices=[c for c in Relationship.choices if c[0] != Relationship.PRINCIPAL])


class PrincipalForm(forms.Form):
    person = forms.UUIDField(label="New principal applicant")
    former_relationship = forms.ChoiceField(
        label="The former principal becomes",
        choices=[c for c in Relationship.choices if c[0] != Relationship.PRINCIPAL])


class ImportUploadForm(forms.Form):
    file = forms.FileField(help_text="CSV (UTF-8, comma or semicolon) or XLSX, at most 50 MB")


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=[("csv", "CSV"), ("xlsx", "XLSX")])


class ResolveForm(forms.Form):
    candidate = forms.UUIDField()
    decision = forms.ChoiceField(choices=[("same", "Same person"), ("distinct", "Not the same")])
    keep = forms.UUIDField(required=False, help_text="the record that remains after a merge")
    first_version = forms.IntegerField(required=False)
    second_version = forms.IntegerField(required=False)
