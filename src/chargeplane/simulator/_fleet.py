"""A fleet of simulated chargers running a scenario concurrently."""

from __future__ import annotations

import asyncio

from ._charger import SimulatedCharger
from ._clock import SimClock
from ._scenario import Scenario
from ._stats import FleetStats, Observer

__all__ = ["Fleet"]


class Fleet:
    """Runs ``scenario.fleet.chargers`` simulated chargers against the CSMS at ``url``
    (``ws://host:port/ocpp``; each charger connects to ``{url}/{ocpp_id}``).

    ``await fleet.run()`` returns the stats when the scenario's duration has passed (in
    simulated time) or after :meth:`stop`; either way running sessions are stopped and
    queued messages sent before the sockets close. Only OCPP 1.6J is used, so any CSMS will do.
    """

    def __init__(
        self,
        scenario: Scenario,
        url: str,
        *,
        clock: SimClock | None = None,
        observer: Observer | None = None,
        response_timeout: float = 10.0,
    ) -> None:
        spec = scenario.fleet
        self.scenario = scenario
        self.url = url
        self.clock = clock or SimClock(spec.speed, spec.start)
        self.stats = FleetStats(chargers=spec.chargers)
        self.chargers = [
            SimulatedCharger(
                scenario,
                number,
                model,
                url,
                clock=self.clock,
                stats=self.stats,
                observer=observer,
                response_timeout=response_timeout,
            )
            for number, model in enumerate(scenario.model_for(spec.chargers), start=1)
        ]
        self._stopping = asyncio.Event()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self) -> None:
        """End the run early (e.g. on Ctrl-C); :meth:`run` returns once all have finished."""
        self._stopping.set()
        for charger in self.chargers:
            charger.stop()

    async def run(self) -> FleetStats:
        self.clock.start()
        ramp = self.scenario.fleet.ramp_up
        count = len(self.chargers)
        async with asyncio.TaskGroup() as group:
            for index, charger in enumerate(self.chargers):
                group.create_task(charger.run(ramp * index / count), name=charger.ocpp_id)
            group.create_task(self._deadline())
        return self.stats

    async def _deadline(self) -> None:
        duration = self.scenario.fleet.duration
        if duration is None:
            return
        if not await self.clock.sleep(duration, wake=self._stopping):
            self.stop()
