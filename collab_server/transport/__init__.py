"""Starlette routes and the websocket adapter, nothing else."""
