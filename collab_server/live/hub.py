"""The live core: which documents are in memory, who is connected to them,
and what happens to every frame a client sends."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass, field

import pycrdt

from collab_server.broker.base import CONTROL, Broker, LocalBroker, Relay
from collab_server.domain import room
from collab_server.domain.handlers import HANDLERS
from collab_server.domain.intents import Context
from collab_server.domain.ports import SessionStore, VotingStore, Write
from collab_server.domain.roles import Role
from collab_server.errors import (
    AppError,
    Forbidden,
    NotFound,
    ProtocolError,
    RateLimited,
    RecordedRefusal,
    TooLarge,
    Unavailable,
    UnknownIntent,
)
from collab_server.live.access import BODY_ADMIN, MINUTES_READERS, MINUTES_WRITERS, Access, refusal
from collab_server.live.connection import Connection, ConnectionLimits, Identity
from collab_server.live.document import EMPTY_UPDATE, LiveDoc, PersonPresenceLimited
from collab_server.live.names import DocKey, DocKind
from collab_server.live.people import People, PersonLimits
from collab_server.live.persister import Persister
from collab_server.live.ports import DocStore, MeetingData, Record, SessionCheck, Socket, YDoc
from collab_server.live.rounds import Rounds
from collab_server.metrics import Metrics
from collab_server.protocol import (
    PONG_FRAME,
    AuthDenied,
    AwarenessUpdate,
    IntentFrame,
    IntentResult,
    Ping,
    Pong,
    QueryAwareness,
    SyncStep1,
    SyncStep2,
    SyncUpdate,
    decode,
    encode_auth_denied,
    encode_awareness,
    encode_intent_result,
)
from collab_server.protocol.intents import IntentError, parse_intent, result_error, result_ok
from collab_server.protocol.messages import decode_awareness_payload
from collab_server.status import Close

log = logging.getLogger(__name__)

__all__ = ["BODY_ADMIN", "MINUTES_READERS", "Hub", "LiveSettings"]


@dataclass(frozen=True, slots=True)
class LiveSettings:
    flush_window: float = 0.005
    max_frame: int = 1024 * 1024
    idle_unload: float = 60.0
    compact_every: int = 200
    limits: ConnectionLimits = field(default_factory=ConnectionLimits)
    people: PersonLimits = field(default_factory=PersonLimits)
    # Seconds between checks that the sessions of open sockets are still valid.
    session_check: float = 30.0


class Hub:
    def __init__(
        self,
        store: DocStore,
        meetings: MeetingData,
        session: SessionStore,
        votes: VotingStore,
        settings: LiveSettings,
        broker: Broker | None = None,
        sessions: SessionCheck | None = None,
    ) -> None:
        self.store = store
        self.sessions = sessions
        self.meetings = meetings
        self.session = session
        self.votes = votes
        self.broker: Broker = broker or LocalBroker()
        self.settings = settings
        self.docs: dict[str, LiveDoc] = {}
        self._loading: dict[str, asyncio.Task[LiveDoc]] = {}
        self._background: set[asyncio.Task[None]] = set()
        self.persister = Persister(store)
        self.loads = 0
        self.intent_count = 0
        self.dropped_clients = 0
        # Gone without a closing handshake: pings unanswered, or the network gone.
        self.lost_clients = 0
        self.metrics = Metrics()
        self.people = People(settings.people)
        self.access = Access(self.docs, self.people, meetings)
        self.people.register_metrics(self.metrics)
        self.access.register_metrics(self.metrics)
        self.rounds = Rounds(store, self.metrics, exclusive=self._exclusive,
                             context=self._context, stored=self._stored, spawn=self._spawn)
        # Frames and bytes of sockets already closed (open ones count their own).
        self.sent_frames = 0
        self.sent_bytes = 0

    async def start(self) -> None:
        self.persister.start()
        await self.broker.start(self._relayed, self._resync)
        if self.sessions is not None:
            self._spawn(self.access.watch_sessions(self.sessions, self.settings.session_check))

    async def stop(self) -> None:
        for live in list(self.docs.values()):
            live.flush_now()
            for conn in list(live.connections):
                conn.close(Close.SERVICE_RESTART, "server restarting")
        await self.persister.stop()
        await self.broker.stop()
        for task in list(self._background):
            task.cancel()

    # -- other processes ---------------------------------------------------------------

    def _relayed(self, name: str, kind: Relay, data: bytes) -> None:
        if name == CONTROL:
            self._control(kind, data)
            return
        live = self.docs.get(name)
        if live is None:
            return
        try:
            if kind is Relay.UPDATE:
                live.apply_relayed(data)
            elif kind is Relay.AWARENESS:
                live.apply_relayed_awareness(decode_awareness_payload(data).entries)
            elif kind is Relay.SYNC_REQUEST:
                missing = live.step2_update(data)
                if missing != EMPTY_UPDATE:
                    self.broker.publish(name, Relay.UPDATE, missing)
        except (ProtocolError, ValueError):
            log.warning("ignored a malformed relay for %s", name)

    def _control(self, kind: Relay, data: bytes) -> None:
        try:
            text = data.decode("ascii")
            if kind is Relay.REVOKE_USER:
                self.access.revoke_user(int(text))
            elif kind is Relay.REVOKE_SESSION:
                self.access.revoke_session(text)
            elif kind is Relay.ROLES:
                self._roles_changed(int(text))
        except (UnicodeDecodeError, ValueError):
            log.warning("ignored a malformed control message")

    async def _resync(self) -> None:
        """After Redis was away: catch every document up from storage (state, not
        guesses), then ask the other processes for what they hold unstored.
        Role changes may have been missed too: every role is read again."""
        for meeting_id in self.access.bump_all():
            self._spawn(self._refresh_roles(meeting_id))
        for live in list(self.docs.values()):
            try:
                await self._catch_up(live)
            except Exception:  # storage may be away too; the next resync retries
                log.exception("catching up %s failed", live.name)
            await self.broker.subscribe(live.name)
            self.broker.publish(live.name, Relay.SYNC_REQUEST, live.doc.get_state())

    async def _catch_up(self, live: LiveDoc) -> None:
        updates, last_id = await self.store.since(live.name, live.last_id)
        for update in updates:
            live.apply_relayed(update)
        live.last_id = max(live.last_id, last_id)

    # -- loading -----------------------------------------------------------------

    async def open(self, key: DocKey) -> LiveDoc:
        """The document, loaded once however many sockets ask at the same time."""
        live = self.docs.get(key.name)
        if live is not None:
            return live
        task = self._loading.get(key.name)
        if task is None:
            task = asyncio.create_task(self._load(key), name=f"load {key.name}")
            self._loading[key.name] = task
            task.add_done_callback(lambda _: self._loading.pop(key.name, None))
        return await asyncio.shield(task)

    async def _load(self, key: DocKey) -> LiveDoc:
        live = LiveDoc(key, flush_window=self.settings.flush_window, persist=self._persist,
                       relay=self.broker.publish if self.broker.shared else None,
                       on_flush=self.metrics.flush_size.observe)
        # Subscribe before loading, so nothing relayed in between is missed.
        await self.broker.subscribe(key.name)
        updates, last_id = await self.store.load_positioned(key.name)
        if not updates and key.kind is DocKind.ROOM:
            info = await self.meetings.meeting(key.meeting_id)
            if info is None:
                raise NotFound("Không có cuộc họp này.", "No such meeting.")
            seed: YDoc = pycrdt.Doc()
            with seed.transaction():
                room.seed(seed, info)
            updates, last_id = await self.store.initialize(key.name, seed.get_update())
        live.load(updates)
        live.last_id = last_id
        self.loads += 1
        self.docs[key.name] = live
        if self.broker.shared:
            # Whatever another process relayed but has not stored yet comes back
            # in answer to our state vector.
            self.broker.publish(key.name, Relay.SYNC_REQUEST, live.doc.get_state())
        if key.kind is DocKind.ROOM:
            # A refresh that failed after its change was committed is caught up here.
            self._spawn(self._repair(key.meeting_id))
        return live

    async def _repair(self, meeting_id: int) -> None:
        try:
            await self.refresh_room(meeting_id)
        except Exception:  # the next load or preparation change tries again
            log.exception("refreshing room %d failed", meeting_id)

    def _persist(self, name: str, update: bytes) -> None:
        self.persister.add(name, update)
        live = self.docs.get(name)
        if live is not None:
            self._stored(live)

    def _stored(self, live: LiveDoc) -> None:
        """Count rows in the log; past the threshold, squash them."""
        live.updates_since_compaction += 1
        if live.updates_since_compaction >= self.settings.compact_every:
            live.updates_since_compaction = 0
            self._spawn(self._compact(live.name))

    async def _compact(self, name: str) -> None:
        await self.persister.drain()
        try:
            squashed = await self.store.compact(name)
        except Exception:  # compaction is an optimisation; the log stays valid without it
            log.exception("compacting %s failed", name)
            return
        log.info("compacted %s: %d updates", name, squashed)

    def _spawn(self, coro: Coroutine[None, None, None]) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- connections ---------------------------------------------------------------

    async def connect(self, key: DocKey, socket: Socket, identity: Identity, *,
                      roles_seen: int | None = None) -> tuple[Connection, LiveDoc]:
        """Attach a socket. `roles_seen`: the participants version taken before
        the role was read (`roles_version`), so a change in between is noticed."""
        refused = refusal(key, identity.role)
        if refused is not None:
            raise refused
        live = await self.open(key)
        if roles_seen is None:
            roles_seen = self.access.version(key.meeting_id)
        # Counted after the load: nothing awaits between the count and the join.
        try:
            person = self.people.admit(identity.user_id)
        except RateLimited:
            self._unload_if_idle(live)
            raise
        conn = Connection(socket, identity, self.settings.limits, person, roles_seen)
        self.people.join(person, conn)
        conn.start()
        conn.on_close = lambda: self.disconnect(conn, live)
        live.attach(conn)
        if roles_seen < self.access.version(key.meeting_id):
            # The participants changed while this socket was being admitted.
            self._spawn(self._recheck(conn, live))
        return conn, live

    async def _recheck(self, conn: Connection, live: LiveDoc) -> None:
        with contextlib.suppress(AppError):  # refused: the socket is closed already
            await self.access.check(conn, live)

    def roles_version(self, meeting_id: int) -> int:
        return self.access.version(meeting_id)

    def disconnect(self, conn: Connection, live: LiveDoc, *, lost: bool = False) -> None:
        """`lost`: the peer went without closing (its pings went unanswered, or
        its network vanished) while this side had not closed it either."""
        if lost and not conn.closed:
            self.lost_clients += 1
        if conn not in live.connections:
            return
        self.people.leave(conn.person, conn)
        live.detach(conn)
        self.sent_frames += conn.sent_frames
        self.sent_bytes += conn.sent_bytes
        if conn.overflowed:
            self.dropped_clients += 1
        self._unload_if_idle(live)

    def _unload_if_idle(self, live: LiveDoc) -> None:
        if not live.connections and live.unload_handle is None:
            loop = asyncio.get_running_loop()
            live.unload_handle = loop.call_later(
                self.settings.idle_unload, lambda: self._spawn(self._unload(live))
            )

    async def _unload(self, live: LiveDoc) -> None:
        live.unload_handle = None
        if live.connections or self.docs.get(live.name) is not live:
            return
        live.flush_now()
        await self.persister.drain()
        if live.connections:
            return
        del self.docs[live.name]
        await self.broker.unsubscribe(live.name)
        log.info("unloaded %s", live.name)

    # -- revocation (called where sessions end and participants change) ---------

    async def revoke_user(self, user_id: int) -> None:
        """Every session of the account ended, or the account was disabled."""
        self.access.revoke_user(user_id)
        self.broker.publish(CONTROL, Relay.REVOKE_USER, str(user_id).encode())

    async def revoke_session(self, tag: str) -> None:
        """One session ended (`live.sessions.session_tag` of its token)."""
        self.access.revoke_session(tag)
        self.broker.publish(CONTROL, Relay.REVOKE_SESSION, tag.encode("ascii"))

    async def participants_changed(self, meeting_id: int) -> None:
        """Someone's role in the meeting changed or they were removed: open
        sockets here are re-checked before this returns, elsewhere soon after."""
        self.broker.publish(CONTROL, Relay.ROLES, str(meeting_id).encode())
        self.access.bump(meeting_id)
        await self._refresh_roles(meeting_id)

    def _roles_changed(self, meeting_id: int) -> None:
        self.access.bump(meeting_id)
        self._spawn(self._refresh_roles(meeting_id))

    async def _refresh_roles(self, meeting_id: int) -> None:
        try:
            await self.access.refresh(meeting_id)
        except Exception:  # every socket still re-reads its role before acting
            log.exception("re-checking the sockets of meeting %d failed", meeting_id)

    # -- frames ---------------------------------------------------------------------

    async def receive(self, conn: Connection, live: LiveDoc, frame: bytes) -> None:
        """Handle one frame. Raises `AppError` when the socket must close."""
        self.metrics.frames_in += 1
        self.metrics.bytes_in += len(frame)
        if len(frame) > self.settings.max_frame:
            raise TooLarge(
                f"Khung dữ liệu vượt quá {self.settings.max_frame} byte.", "Frame too large."
            )
        if not conn.frames.take():
            raise RateLimited()
        message = decode(frame)
        if isinstance(message, SyncStep1):
            conn.send(live.step2_for(message.state))
        elif isinstance(message, SyncStep2 | SyncUpdate):
            await self._client_update(conn, live, message.update)
        elif isinstance(message, AwarenessUpdate):
            try:
                live.apply_awareness(message.entries, conn)
            except PersonPresenceLimited:
                self.people.refused.presence += 1
                raise
        elif isinstance(message, QueryAwareness):
            # Always answered, even with no states: clients use it to probe a silent socket.
            for frame in live.awareness_frames() or [encode_awareness(())]:
                conn.send(frame)
        elif isinstance(message, Ping):
            conn.send(PONG_FRAME)
        elif isinstance(message, IntentFrame):
            await self._intent(conn, live, message.text)
        elif isinstance(message, AuthDenied | IntentResult | Pong):
            raise ProtocolError(
                "Máy khách không được gửi loại thông điệp này.", "Server-only message type."
            )

    async def _may_write(self, conn: Connection, live: LiveDoc) -> bool:
        kind = live.key.kind
        if kind is DocKind.NOTES:
            return live.key.owner_id == conn.identity.user_id
        if kind is DocKind.MINUTES:
            # Drafted by the secretary and the chair until the meeting is archived.
            if conn.identity.role not in MINUTES_WRITERS:
                return False
            room_doc = await self.open(live.key.room)
            status = room_doc.doc.get(room.MEETING, type=pycrdt.Map).get("status")
            return bool(status != "archived")
        if kind is DocKind.INK:
            room_doc = await self.open(live.key.room)
            self._unload_if_idle(room_doc)
            current = room.presenter(room_doc.doc)
            if current is None:
                return conn.identity.role == Role.CHAIR
            return current == conn.identity.user_id
        return False

    async def _client_update(self, conn: Connection, live: LiveDoc, update: bytes) -> None:
        if update == EMPTY_UPDATE:
            return
        await self.access.check(conn, live)
        if not await self._may_write(conn, live):
            if live.is_noop(update):
                return
            conn.send(encode_auth_denied("read-only document"))
            raise Forbidden("Tài liệu này chỉ được đọc.", "This document is read-only.")
        if live.key.kind is DocKind.NOTES:
            self.people.meter_notes(conn.person, live, update)
        live.apply_client_update(update, conn)

    # -- intents -------------------------------------------------------------------------

    async def _intent(self, conn: Connection, live: LiveDoc, text: str) -> None:
        started = time.perf_counter()
        try:
            await self._intent_inner(conn, live, text)
        finally:
            self.metrics.intent_latency.observe(time.perf_counter() - started)

    async def _intent_inner(self, conn: Connection, live: LiveDoc, text: str) -> None:
        try:
            intent = parse_intent(text)
            if not conn.intents.take():
                raise IntentError(intent.id, RateLimited())
            if not conn.person.intents.take():
                self.people.refused.intents += 1
                raise IntentError(intent.id, RateLimited(
                    "Tài khoản gửi quá nhiều thao tác từ các thiết bị.",
                    "Too many intents from this account's sockets."))
        except IntentError as exc:
            conn.send(encode_intent_result(result_error(exc.intent_id, exc.error)))
            return
        try:
            await self.access.check(conn, live)
            if live.key.kind is not DocKind.ROOM:
                raise UnknownIntent(
                    "Thao tác chỉ gửi qua tài liệu phòng họp.", "Intents go to the room document."
                )
            handler = HANDLERS.get(intent.type)
            if handler is None:
                raise UnknownIntent(
                    f"Thao tác '{intent.type[:40]}' không được hỗ trợ.", "Unknown intent."
                )
            # Committed with the other intents of the room waiting now (rounds.py).
            change = await self.rounds.submit(live, conn, handler, intent.args)
            for key, apply in change.docs:
                await self.server_write(key, apply)
        except AppError as exc:
            log.info(
                "intent refused",
                extra={
                    "intent": intent.type[:40],
                    "code": exc.code,
                    "user_id": conn.identity.user_id,
                },
            )
            if isinstance(exc, RecordedRefusal):
                await self._record_refusal(live, conn, intent.type, exc)
            conn.send(encode_intent_result(result_error(intent.id, exc)))
            return
        except Exception:
            # Storage away (the lock across processes, a read of the handler)
            # or a fault of ours: the intent is refused, the socket stays open.
            self.metrics.db_errors += 1
            log.exception("intent failed; answered unavailable",
                          extra={"intent": intent.type[:40], "user_id": conn.identity.user_id})
            conn.send(encode_intent_result(result_error(intent.id, Unavailable())))
            return
        self.intent_count += 1
        conn.send(encode_intent_result(result_ok(intent.id, change.result)))

    def _context(self, live: LiveDoc, conn: Connection, doc: YDoc) -> Context:
        return Context(live.key.meeting_id, conn.identity, doc, self.meetings, self.session,
                       self.votes, int(time.time() * 1000), self._read_doc)

    async def _record_refusal(self, live: LiveDoc, conn: Connection, intent: str,
                              exc: RecordedRefusal) -> None:
        """A refusal that matters (a check-in from outside the room's
        networks) goes on the meeting's record and the audit log."""
        try:
            await self.store.commit_intent(live.name, EMPTY_UPDATE, (Record(
                live.key.meeting_id, conn.identity.user_id, f"{intent[:40]}.refused",
                {**exc.record, "code": exc.code}),))
        except Exception:  # the refusal still reaches the caller
            self.metrics.db_errors += 1
            log.exception("recording a refusal failed", extra={"intent": intent[:40]})

    @contextlib.asynccontextmanager
    async def _exclusive(self, live: LiveDoc) -> AsyncIterator[None]:
        """With other processes serving the room, take its lock across processes
        and catch up with what they committed, so the rules are checked against
        the latest state. Alone, the local lock is enough."""
        if not self.broker.shared:
            yield
            return
        async with self.store.exclusive(live.name):
            await self._catch_up(live)
            yield

    async def _read_doc(self, key: DocKey) -> YDoc:
        live = await self.open(key)
        self._unload_if_idle(live)
        return live.doc

    async def server_write(self, key: DocKey, apply: Callable[[YDoc], None]) -> None:
        """A change the server makes to a document nobody else may write (an inbox)."""
        live = await self.open(key)
        async with live.lock, self._exclusive(live):
            await self._commit(live, apply, None)
        self._unload_if_idle(live)

    async def presented_document(self, meeting_id: int) -> int | None:
        """The document the room shows on its projector now, if any."""
        live = await self.open(DocKey(meeting_id, DocKind.ROOM))
        try:
            value = live.doc.get(room.PRESENTING, type=pycrdt.Map).get("document")
            return None if value is None else int(value)
        finally:
            self._unload_if_idle(live)

    async def refresh_room(self, meeting_id: int) -> None:
        """Bring prepared data (title, status, agenda) into the room document after
        it changed in the database. Raises `Unavailable` if it cannot be stored."""
        live = await self.open(DocKey(meeting_id, DocKind.ROOM))
        async with live.lock, self._exclusive(live):
            info = await self.meetings.meeting(meeting_id)
            if info is not None:
                await self._commit(live, lambda doc: room.sync(doc, info), None)
        self._unload_if_idle(live)

    async def _commit(
        self,
        live: LiveDoc,
        apply: Callable[[YDoc], None],
        record: Record | None,
        writes: Sequence[Write] = (),
    ) -> None:
        """Compute the change, commit it to storage with the domain rows, and only
        then apply it to the replica and let everyone see it."""
        update = live.prepare(apply)
        if update == EMPTY_UPDATE and not writes:
            return
        try:
            row = await self.store.commit_intent(live.name, update,
                                                 () if record is None else (record,), writes)
        except AppError:
            raise  # a rule the database enforces (one ballot per voter): refused
        except Exception as exc:
            self.metrics.db_errors += 1
            log.exception("committing to %s failed; nothing changed", live.name)
            raise Unavailable() from exc
        if update != EMPTY_UPDATE:
            live.apply_committed(update)
            # Under the cross-process lock this row is the newest of the document.
            live.last_id = max(live.last_id, row)
            self._stored(live)
        # The change goes out now, ahead of the reply, so a client that sees "ok"
        # already has the new state.
        live.flush_now()

