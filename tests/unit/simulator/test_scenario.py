"""Scenario files: parsing, defaults, validation errors that name the bad key, overrides."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from chargeplane.simulator import Scenario, ScenarioError, builtin_scenarios, parse_duration

REPO_SCENARIOS = Path(__file__).parents[3] / "scenarios"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (90, 90.0),
        (1.5, 1.5),
        ("45", 45.0),
        ("90s", 90.0),
        ("15m", 900.0),
        ("1h30m", 5400.0),
        ("2d", 172800.0),
        ("250ms", 0.25),
        (" 1h 5s ", 3605.0),
    ],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5x", "m5", "1h-5m", "-3", True, None, [1]])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_builtin_demo_is_small_and_fast() -> None:
    assert "demo" in builtin_scenarios()
    demo = Scenario.builtin("demo")
    assert demo.fleet.chargers == 3
    assert demo.fleet.duration is None  # runs until Ctrl-C
    assert all(m.meter_interval <= 10 and (m.heartbeat_interval or 0) <= 60 for m in demo.models)
    assert demo.sessions.mean_interval is not None
    assert demo.sessions.mean_interval <= 60
    assert Scenario.load("demo") == demo


@pytest.mark.parametrize("name", ["depot", "flaky"])
def test_repository_scenarios_load(name: str) -> None:
    scenario = Scenario.load(REPO_SCENARIOS / f"{name}.toml")
    assert scenario.name == name
    assert scenario.fleet.duration is not None


def test_flaky_has_faults_and_outages() -> None:
    flaky = Scenario.load(REPO_SCENARIOS / "flaky.toml")
    assert flaky.faults.mean_interval is not None
    assert flaky.offline.mean_interval is not None
    assert flaky.offline.periods[0].chargers == [1, 2]


def test_defaults_and_values() -> None:
    scenario = Scenario.from_toml(
        """
        [fleet]
        chargers = 4
        start = 2025-03-03T17:00:00Z
        [[models]]
        evses = 2
        connector = "CCS2"
        meter_interval = "30s"
        [sessions]
        at = ["1m", ["2m", "3m"]]
        duration = "1h"
        start_soc = 20
        """
    )
    assert scenario.fleet.start == datetime(2025, 3, 3, 17, tzinfo=UTC)
    assert scenario.fleet.duration is None
    model = scenario.models[0]
    assert (model.evses, model.connector, model.ac, model.meter_interval) == (2, "CCS2", False, 30)
    assert model.heartbeat_interval is None  # the CSMS's
    assert scenario.sessions.at == [(60.0, 60.0), (120.0, 180.0)]
    assert scenario.sessions.duration == (3600.0, 3600.0)
    assert scenario.sessions.start_soc == (20.0, 20.0)
    assert scenario.rfid.pool[:2] == ["SIMTAG0001", "SIMTAG0002"]
    assert len(scenario.rfid.pool) == 10
    assert scenario.ocpp_id(4) == "SIM-004"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[fleet]\nchargerz = 3", "scenario: fleet.chargerz: unknown key"),
        ("[fleet]\nchargers = 0", "scenario: fleet.chargers: Input should be greater than"),
        ("[fleet]\nspeed = -1", "scenario: fleet.speed: Input should be greater than 0"),
        ('[fleet]\nid_prefix = "a b"', "scenario: fleet.id_prefix: String should match"),
        ('[sessions]\nduration = ["1h", "10m"]', "scenario: sessions.duration: a range is"),
        ('[sessions]\nduration = "soon"', "scenario: sessions.duration: a duration"),
        ("[sessions]\nstart_soc = [10, 120]", "scenario: sessions.start_soc[1]: Input should be"),
        ('[sessions]\nmean_interval = "5m"\nat = ["1m"]', "sessions: give either"),
        ('[[models]]\nconnector = "Schuko"', "scenario: models[0].connector: Input should be"),
        ("models = []", "scenario: models: List should have at least 1 item"),
        ('[faults]\nerror_codes = ["Oops"]', "scenario: faults.error_codes[0]: Input should be"),
        (
            "[offline]\nperiods = [{at = 5}]",
            "scenario: offline.periods[0].duration: Field required",
        ),
        ('[rfid]\ntags = ["' + "x" * 21 + '"]', "scenario: rfid.tags[0]: String should have at"),
        ("[fleet\n", "scenario: invalid TOML"),
    ],
)
def test_errors_name_the_bad_key(text: str, message: str) -> None:
    with pytest.raises(ScenarioError) as info:
        Scenario.from_toml(text)
    assert message in str(info.value)


def test_every_error_is_reported_with_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("colour = 1\n[fleet]\nchargers = -1\n")
    with pytest.raises(ScenarioError) as info:
        Scenario.load(path)
    lines = str(info.value).splitlines()
    assert lines[0].startswith(f"{path}: fleet.chargers: ")
    assert lines[1] == f"{path}: colour: unknown key"


def test_missing_file() -> None:
    with pytest.raises(ScenarioError, match="cannot read"):
        Scenario.load("no/such/scenario.toml")


def test_overrides_replace_fleet_settings_and_are_validated() -> None:
    demo = Scenario.builtin("demo")
    changed = demo.with_overrides(chargers=10, duration=300, speed=60, seed=1, id_prefix="X-")
    assert (changed.fleet.chargers, changed.fleet.duration, changed.fleet.speed) == (10, 300, 60)
    assert (changed.fleet.seed, changed.fleet.id_prefix) == (1, "X-")
    assert changed.models == demo.models
    assert demo.with_overrides() == demo
    with pytest.raises(ScenarioError, match="options: speed"):
        demo.with_overrides(speed=0)


def test_models_split_by_weight() -> None:
    scenario = Scenario.from_toml(
        '[[models]]\nweight = 3\nmodel = "A"\n[[models]]\nweight = 1\nmodel = "B"'
    )
    assert [m.model for m in scenario.model_for(8)] == ["A"] * 6 + ["B"] * 2
    assert [m.model for m in scenario.model_for(1)] == ["A"]
    assert len(scenario.model_for(7)) == 7
