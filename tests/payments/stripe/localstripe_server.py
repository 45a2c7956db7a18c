"""localstripe (a stateful fake Stripe server) served on 127.0.0.1 from a thread, for the test session.

Its own command line listens on every interface and pickles its store to
/tmp/localstripe.pickle after each write; here it listens on a loopback socket we bind
ourselves (a free port, no race for it) and keeps its store in memory only.

localstripe refuses parameters it does not model. Three that the gateway sends to every
PaymentIntent are accepted and echoed back on the object, as Stripe does:
``transfer_group``, ``description`` and ``automatic_payment_methods``.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import warnings

import pytest
from aiohttp import web

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # localstripe's plain-function routes, at import
    from localstripe import resources
    from localstripe.server import app

ECHOED_PAYMENT_INTENT_PARAMETERS = ("transfer_group", "description", "automatic_payment_methods")


def _payment_intent_create_echoing(original):
    def create(cls, **data):
        echoed = {name: data.pop(name) for name in ECHOED_PAYMENT_INTENT_PARAMETERS if name in data}
        intent = original.__func__(cls, **data)
        for name, value in echoed.items():
            setattr(intent, name, value)
        return intent

    return classmethod(create)


def patch_localstripe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resources.Store, "dump_to_disk", lambda store: None)
    monkeypatch.setattr(
        resources.PaymentIntent,
        "_api_create",
        _payment_intent_create_echoing(resources.PaymentIntent._api_create),
    )


class LocalStripeServer:
    """localstripe's aiohttp app on 127.0.0.1:<free port>, in a thread with its own event loop."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.url = "http://{}:{}".format(*self._socket.getsockname())
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="localstripe", daemon=True)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.1)
        self._loop.run_until_complete(runner.setup())
        self._loop.run_until_complete(web.SockSite(runner, self._socket).start())
        self._ready.set()
        self._loop.run_forever()
        # localstripe schedules a webhook task after each payment, even with no webhook registered.
        pending = asyncio.all_tasks(self._loop)
        for task in pending:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self._loop.run_until_complete(runner.cleanup())
        self._loop.close()

    def start(self) -> str:
        self._thread.start()
        if not self._ready.wait(timeout=10):
            raise RuntimeError("localstripe did not start within 10 seconds")
        return self.url

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._socket.close()
