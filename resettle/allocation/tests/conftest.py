"""An allocation-sized camp on top of the shared ``camp`` fixture.

Five households wait in the allocation stage at Camp A (one large, one with a seriously ill
member, one single parent, two linked with relatives in Norway); a third destination,
Finland, pledges little and only to small families without medical needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from resettle.allocation import services
from resettle.destinations.models import Destination, Pledge
from resettle.registry.models import Household, HouseholdLink
from resettle.testing.fixtures import SmallCamp, make_household, make_person


@dataclass
class AllocationCamp:
    camp: SmallCamp
    fi: Destination
    large: Household  # 6 persons
    medical: Household  # 2 persons, one seriously ill
    single: Household  # mother and a young child
    tied: Household  # 2 persons with relatives in Norway
    linked: Household  # 1 person, linked to ``tied``

    @property
    def waiting(self) -> list[Household]:
        return [self.large, self.medical, self.single, self.tied, self.linked]


@pytest.fixture
def inline_runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Solve runs in the test's thread, right after they are created."""
    monkeypatch.setattr(services, "RUN_INLINE", True)
    yield


@pytest.fixture
def alloc(camp: SmallCamp) -> AllocationCamp:
    return build_allocation_camp(camp)


def build_allocation_camp(camp: SmallCamp) -> AllocationCamp:
    site = camp.site
    fi = Destination.objects.create(code="FI", name="Finland", languages=["fi", "sv"])
    Pledge.objects.create(destination=fi, places=10, period_start=date(2026, 1, 1),
                          max_household_size=4, nationalities=["IR"], languages=["fa", "en"])
    Pledge.objects.filter(destination=camp.de).update(large_family_places=2, medical_places=1,
                                                      single_parent_support=True)
    Pledge.objects.filter(destination=camp.no).update(large_family_places=1, medical_places=0)
    # an ended pledge counts for nothing
    Pledge.objects.create(destination=camp.no, places=500, period_start=date(2020, 1, 1),
                          period_end=date(2021, 1, 1))

    def person(rid: str, **extra: Any) -> Any:
        extra.setdefault("languages", ["fa"])
        return make_person(site, rid, "Test", rid, **extra)

    large = make_household(site, "H00101", [
        (person("R-0101"), "principal"), (person("R-0102", sex="F"), "spouse")] + [
        (person(f"R-01{i:02d}", date_of_birth=date(2010, 1, i)), "child") for i in range(3, 7)
    ], "allocated")
    medical = make_household(site, "H00102", [
        (person("R-0201", specific_needs=["SM"]), "principal"),
        (person("R-0202", sex="F"), "spouse")], "allocated")
    single = make_household(site, "H00103", [
        (person("R-0301", sex="F"), "principal"),
        (person("R-0302", date_of_birth=date(2019, 4, 1)), "child")], "allocated")
    tied = make_household(site, "H00104", [
        (person("R-0401", ties=["NO"], languages=["fa", "no"]), "principal"),
        (person("R-0402", ties=["NO"]), "spouse")], "allocated")
    tied.preferences = ["NO", "DE"]
    tied.save(update_fields=["preferences"])
    linked = make_household(site, "H00105", [(person("R-0501"), "principal")], "allocated")
    HouseholdLink.objects.create(first=tied, second=linked, reason="brothers")
    return AllocationCamp(camp, fi, large, medical, single, tied, linked)
