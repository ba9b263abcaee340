"""Every intent handler, registered by importing its module."""

from __future__ import annotations

from collab_server.domain import (  # noqa: F401  (imported for their @intent registrations)
    attendance,
    messages,
    presenting,
    session,
    speakers,
    voting,
)
from collab_server.domain.intents import HANDLERS

__all__ = ["HANDLERS"]
