"""Input validation for the casework actions (each form carries the version the user saw)."""

from __future__ import annotations

from django import forms

from resettle.casework.models import DOCUMENT_KIND_CHOICES, HOLD_TYPE_CHOICES, HoldReason
from resettle.core.stages import CLOSURE_ORDER, Decision, Stage

STAGE_FIELD_CHOICES = [(s.value, s.label) for s in Stage]


class VersionedForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class MoveForm(VersionedForm):
    target = forms.ChoiceField(choices=STAGE_FIELD_CHOICES)
    reason = forms.CharField(max_length=500, required=False)


class SubmitForm(VersionedForm):
    destination = forms.UUIDField()
    reason = forms.CharField(max_length=500, required=False)


class CloseForm(VersionedForm):
    closure = forms.ChoiceField(choices=[(s.value, s.label) for s in CLOSURE_ORDER])
    reason = forms.CharField(max_length=500)


class DecisionForm(VersionedForm):
    decision = forms.ChoiceField(choices=[(d.value, d.value.capitalize()) for d in Decision])
    accepted = forms.MultipleChoiceField(choices=(), required=False)
    notes = forms.CharField(max_length=2000, required=False)

    def __init__(self, *args: object, members: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["accepted"].choices = members  # type: ignore[attr-defined]


class SplitForm(VersionedForm):
    staying = forms.MultipleChoiceField(choices=(), required=False)

    def __init__(self, *args: object, members: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["staying"].choices = members  # type: ignore[attr-defined]


class HoldForm(forms.Form):
    person = forms.UUIDField()
    hold_type = forms.ChoiceField(choices=HOLD_TYPE_CHOICES)
    reason = forms.ChoiceField(choices=HoldReason.choices)
    authority = forms.CharField(max_length=255, required=False)
    reference = forms.CharField(max_length=255, required=False)
    notes = forms.CharField(max_length=2000, required=False)
    start_date = forms.DateField()
    review_date = forms.DateField(required=False)


class HoldActionForm(forms.Form):
    hold = forms.UUIDField()
    hold_version = forms.IntegerField(min_value=1)
    reason = forms.CharField(max_length=500, required=False)


class DocumentForm(forms.Form):
    person = forms.UUIDField()
    kind = forms.ChoiceField(choices=DOCUMENT_KIND_CHOICES)
    valid_from = forms.DateField(required=False)
    valid_until = forms.DateField(required=False)
    number = forms.CharField(max_length=64, required=False)
    issuing_country = forms.CharField(max_length=2, required=False)


class BulkForm(forms.Form):
    target = forms.ChoiceField(choices=STAGE_FIELD_CHOICES)
    reason = forms.CharField(max_length=500, required=False)


def parse_selected(values: list[str]) -> list[tuple[str, int]] | None:
    """The queue's "<household id>:<version>" checkboxes; None when one is malformed."""
    pairs: list[tuple[str, int]] = []
    for raw in values:
        household_id, _, version = str(raw).partition(":")
        if not version.isdigit() or len(household_id) > 64:
            return None
        pairs.append((household_id, int(version)))
    return pairs
