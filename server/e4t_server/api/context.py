"""Per-call state shared between the interceptor and the servicers (through contextvars).

The interceptor runs the servicer method inside the same task, so what it sets here is what the
servicer reads; nothing is passed through request fields, so the tenant can only come from the key.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

from e4t_registry.keys import Principal


@dataclass(frozen=True)
class CallInfo:
    """Who is calling which method, under which request id."""

    request_id: str
    method: str
    principal: Principal


_CALL: contextvars.ContextVar[CallInfo] = contextvars.ContextVar("e4t_call")


def set_call(info: CallInfo) -> contextvars.Token[CallInfo]:
    return _CALL.set(info)


def reset_call(token: contextvars.Token[CallInfo]) -> None:
    _CALL.reset(token)


def current_call() -> CallInfo:
    """The authenticated call being served (only inside an intercepted method)."""
    return _CALL.get()


def current_principal() -> Principal:
    return _CALL.get().principal
