"""When to retry a failed call, and how long to wait first."""

from __future__ import annotations

import random
from dataclasses import dataclass

from e4t.errors import APIConnectionError, APIError, APITimeoutError, RateLimitError

INITIAL_BACKOFF_S = 0.5
MAX_BACKOFF_S = 8.0


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with jitter, applied to retryable errors only.

    Retryable: UNAVAILABLE (from the server or the network), RESOURCE_EXHAUSTED / RATE_LIMITED,
    and DEADLINE_EXCEEDED. Every call the SDK makes is safe to repeat (a read, a call with an
    idempotency key reused across its retries, or idempotent by nature), so a timed-out attempt
    can be retried without doing the work twice.
    """

    max_retries: int = 2
    initial_backoff: float = INITIAL_BACKOFF_S
    max_backoff: float = MAX_BACKOFF_S

    def should_retry(self, error: APIError, *, retries_done: int) -> bool:
        """Whether to try again after `error`, having retried `retries_done` times already."""
        if retries_done >= self.max_retries:
            return False
        return isinstance(error, APIConnectionError | RateLimitError | APITimeoutError) or (
            error.code.name == "UNAVAILABLE"
        )

    def delay(self, error: APIError, *, retries_done: int) -> float:
        """Seconds to wait before retry number `retries_done + 1`.

        A random point between half and all of the capped exponential step (so that clients
        failing together do not retry together), and never less than the server's `RetryInfo`.
        """
        step = min(self.max_backoff, self.initial_backoff * 2**retries_done)
        jittered = step * random.uniform(0.5, 1.0)
        return max(jittered, error.retry_delay or 0.0)
