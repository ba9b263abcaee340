"""Meetings in memory: documents, connections, intents and fan-out.

Nothing here imports asyncpg, redis or Starlette: storage and sockets come in
through the small protocols of `ports`.
"""
