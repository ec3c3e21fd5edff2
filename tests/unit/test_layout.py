"""The EVSE/connector layout as the API takes it: validation of templates and EVSE bodies,
and a template's stored layout read back."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from chargeplane.chargers.layout import layout_of_template
from chargeplane.db.models import HardwareTemplate
from chargeplane.evses.schemas import EvseCreate, EvseReplace, EvseUpdate
from chargeplane.layout import EvseSpec, check_unique_evses
from chargeplane.templates.schemas import HardwareTemplateCreate, HardwareTemplateUpdate

T2 = {"standard": "IEC_62196_T2", "format": "SOCKET", "power_type": "AC_3_PHASE"}


def evse(number: int, *connectors: dict[str, Any]) -> dict[str, Any]:
    return {"number": number, "connectors": list(connectors) or [T2]}


def template(*evses: dict[str, Any]) -> dict[str, Any]:
    return {"vendor": "Alfen", "name": "Eve Double", "is_dc": False, "evses": list(evses)}


def error_types(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {e["type"] for e in exc.value.errors()}


def test_a_connector_defaults_to_number_one_and_takes_the_ocpi_vocabulary() -> None:
    spec = EvseSpec.model_validate(evse(1))
    assert spec.connectors[0].number == 1
    with pytest.raises(ValidationError):
        EvseSpec.model_validate(evse(1, {**T2, "standard": "TYPE2"}))


def test_an_evse_needs_at_least_one_connector_with_unique_numbers() -> None:
    with pytest.raises(ValidationError) as none:
        EvseSpec.model_validate({"number": 1, "connectors": []})
    assert error_types(none) == {"too_short"}
    with pytest.raises(ValidationError, match="connector numbers must be unique"):
        EvseSpec.model_validate(evse(1, T2, T2))
    two = EvseSpec.model_validate(evse(1, T2, {**T2, "number": 2}))
    assert [c.number for c in two.connectors] == [1, 2]


def test_evse_numbers_start_at_one() -> None:
    with pytest.raises(ValidationError):
        EvseSpec.model_validate(evse(0))


def test_a_template_needs_at_least_one_evse_with_unique_numbers() -> None:
    assert [e.number for e in HardwareTemplateCreate.model_validate(template(evse(1))).evses] == [1]
    with pytest.raises(ValidationError) as none:
        HardwareTemplateCreate.model_validate(template())
    assert error_types(none) == {"too_short"}
    with pytest.raises(ValidationError, match="EVSE numbers must be unique"):
        HardwareTemplateCreate.model_validate(template(evse(1), evse(1)))
    with pytest.raises(ValueError, match="EVSE numbers must be unique"):
        check_unique_evses([EvseSpec.model_validate(evse(2))] * 2)


def test_a_template_patch_may_leave_fields_out_but_not_null_them() -> None:
    assert HardwareTemplateUpdate.model_validate({"name": "Eve Single"}).given() == {
        "name": "Eve Single"
    }
    for field in ("vendor", "name", "is_dc", "evses"):
        with pytest.raises(ValidationError):
            HardwareTemplateUpdate.model_validate({field: None})
    with pytest.raises(ValidationError, match="EVSE numbers must be unique"):
        HardwareTemplateUpdate.model_validate({"evses": [evse(1), evse(1)]})


def test_evse_bodies_refuse_the_live_status_and_ids() -> None:
    for body in (
        {**evse(1), "status": "Available"},
        {**evse(1), "error_code": "NoError", "id": 3},
        {**evse(1), "ocpp_status": None, "etag": "x"},
    ):
        with pytest.raises(ValidationError) as refused:
            EvseCreate.model_validate(body)
        assert error_types(refused) == {"refused_fields"}
    with pytest.raises(ValidationError) as number:
        EvseReplace.model_validate({"number": 1, "connectors": [T2], "etag": "x"})
    assert error_types(number) == {"refused_fields"}  # the number is the path's
    with pytest.raises(ValidationError) as status:
        EvseUpdate.model_validate({"status_timestamp": "2024-01-01T00:00:00Z"})
    assert error_types(status) == {"refused_fields"}


def test_evse_replace_and_update_check_connectors_like_the_spec() -> None:
    assert EvseReplace.model_validate({"connectors": [T2], "etag": "x"}).etag == "x"
    with pytest.raises(ValidationError):
        EvseReplace.model_validate({"name": "no connectors"})
    with pytest.raises(ValidationError, match="connector numbers must be unique"):
        EvseReplace.model_validate({"connectors": [T2, T2]})
    with pytest.raises(ValidationError):
        EvseUpdate.model_validate({"connectors": []})
    with pytest.raises(ValidationError):
        EvseUpdate.model_validate({"connectors": None})
    assert EvseUpdate.model_validate({"name": None}).given() == {"name": None}


def test_a_templates_stored_layout_reads_back_as_specs() -> None:
    body = HardwareTemplateCreate.model_validate(
        template(evse(1), {**evse(2, {**T2, "format": "CABLE"}), "max_power_kw": 22})
    )
    stored = HardwareTemplate(layout=[e.model_dump(mode="json") for e in body.evses])
    assert layout_of_template(stored) == body.evses
