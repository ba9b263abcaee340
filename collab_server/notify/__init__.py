"""Notifications: a durable outbox in PostgreSQL (schema/024), drained by a
delivery worker to e-mail (SMTP, with a calendar file for meetings) and to an
SMS/Zalo gateway (a signed HTTP webhook).

Other features queue through `outbox.enqueue` inside their own transaction;
see docs/notifications.md. May import storage-level asyncpg and the domain;
never the transport or the live core.
"""
