"""Loaded first by a server started with this folder on its ``PYTHONPATH``
(``bench/limits.py``): the layered limits do nothing, so the benchmark can
compare the very same server with and without them. Never used otherwise."""

from session_server.web.limits import Limits


def _nothing(*_args: object, **_kwargs: object) -> None:
    return None


Limits.charge = _nothing  # type: ignore[method-assign]
Limits.new_device = _nothing  # type: ignore[method-assign]
