"""Serve the agent's API with hypercorn on trio (the loop libp2p runs on)."""

from __future__ import annotations

from typing import Any

import trio
from hypercorn.config import Config
from hypercorn.trio import serve as hypercorn_serve
from starlette.applications import Starlette


async def serve(
    app: Starlette,
    listen: str,
    *,
    # trio.TaskStatus[list[str]]: typed as Any because libp2p pulls in the outdated
    # trio-typing stubs, which mypy prefers and which lack TaskStatus.
    task_status: Any = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve `app` on `host:port` until cancelled.

    `task_status.started()` receives the bound addresses (e.g. `http://127.0.0.1:PORT`).
    """
    config = Config()
    config.bind = [listen]
    config.accesslog = None
    config.errorlog = None
    config.graceful_timeout = 1.0
    await hypercorn_serve(app, config, task_status=task_status)  # type: ignore[arg-type]
