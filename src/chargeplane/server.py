"""Running the app under uvicorn, with chargeplane's own WebSocket protocol for chargers."""

from __future__ import annotations

import gc

import uvicorn

from chargeplane.app import create_app
from chargeplane.clock import Clock
from chargeplane.config import Settings
from chargeplane.ocpp import ChargerSocket


def uvicorn_config(
    settings: Settings,
    *,
    host: str,
    port: int,
    clock: Clock | None = None,
    log_level: str | None = None,
) -> uvicorn.Config:
    """uvicorn serves HTTP and hands every WebSocket upgrade to ``ChargerSocket``, which pings
    each charger (``settings.ocpp.ping_interval`` and ``ping_timeout``)."""
    return uvicorn.Config(
        create_app(settings, clock=clock),
        host=host,
        port=port,
        ws=ChargerSocket,
        ws_max_size=1 << 20,
        backlog=settings.ocpp.listen_backlog,
        # X-Forwarded-For is believed only from settings.api.trusted_proxies (api/client.py),
        # never through uvicorn's own proxy handling (which trusts loopback by default).
        proxy_headers=False,
        log_level=(log_level or settings.log_level).lower(),
        lifespan="on",
        timeout_graceful_shutdown=10,
    )


def serve(settings: Settings, *, host: str, port: int) -> None:
    config = uvicorn_config(settings, host=host, port=port)
    # What is built by now (modules, the app and its routes, the schemas) lives as long as the
    # process: keep it out of the cyclic collector's full passes, which otherwise traverse it
    # every time. Measured: GET /api/v1/chargers?limit=50 p99 120-128 ms -> 24-28 ms idle.
    gc.collect()
    gc.freeze()
    # Collect young objects less often: most of a message's objects die by reference count
    # before the collector would look at them, and fewer survivors are promoted, so the full
    # passes, whose cost grows with every connection's objects, come
    # rarely. Measured with 2,000 chargers at 750 msg/s: p99 175 -> 34-76 ms, CPU 87 -> 78-85%.
    gc.set_threshold(100_000, 50, 20)
    uvicorn.Server(config).run()
