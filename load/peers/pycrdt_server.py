"""A stock pycrdt-websocket server for the comparison in run.py: one
`WebsocketServer` behind its `ASGIServer`, on uvicorn, no store. Every path is
a room. Prints "listening <port>" once ready.

    load/peers/.venv/bin/python load/peers/pycrdt_server.py PORT
"""

from __future__ import annotations

import asyncio
import sys

import uvicorn
from pycrdt.websocket import ASGIServer, WebsocketServer


async def main(port: int) -> None:
    async with WebsocketServer(auto_clean_rooms=True) as websocket_server:
        app = ASGIServer(websocket_server)
        # The same stack as Phòng họp không giấy: uvicorn, websockets, uvloop, no deflate.
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                ws="websockets", ws_per_message_deflate=False,
                                loop="uvloop", lifespan="off")
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                await task
            await asyncio.sleep(0.05)
        print(f"listening {port}", flush=True)
        await task


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
