"""The event store is synchronous: its calls run in a thread pool, off the event loop.

One slow call (an export, a long history) then stalls no other request. The
pool is asyncio's own executor rather than anyio's `to_thread`, whose capacity
limiter and cancel scopes cost about a tenth of a one-event request here.
"""

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="casework-store")


async def in_thread(call: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """`call(*args, **kwargs)` on the store's thread pool, awaited."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool, functools.partial(call, *args, **kwargs))
