"""One live CRDT document: its replica, its sockets, and its flush window.

A change to an idle document goes out at once (on the next turn of the event
loop, so what arrived in the same turn goes with it); changes arriving within
one flush window after a send are merged and sent once per socket when the
window ends. A quiet room gets no added latency, a busy one gets one frame
per window instead of one per change. Presence is merged over a window that
grows with the number of sockets (`PRESENCE_ROOM`). Each update carries its
origin so a socket does not get back what it sent alone, and what the server
already committed with an intent is not stored twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import orjson
import pycrdt

from collab_server.broker.base import Relay
from collab_server.errors import ProtocolError, RateLimited, TooLarge
from collab_server.live.connection import Connection
from collab_server.live.names import DocKey
from collab_server.live.ports import YDoc
from collab_server.protocol import (
    AwarenessEntry,
    encode_awareness,
    encode_sync_step1,
    encode_sync_step2,
    encode_sync_update,
)
from collab_server.protocol.messages import MAX_AWARENESS_ENTRIES, awareness_payload

log = logging.getLogger(__name__)

MAX_AWARENESS_STATE = 8 * 1024
# Awareness client ids one socket may hold (a Yjs client uses one per document;
# a reconnect may briefly show a second).
MAX_IDS = 4
EMPTY_UPDATE = b"\x00\x00"
# Every presence change goes to every socket of the document, so a thousand
# devices joining at once would cost a million frames. Presence is merged
# over a window that grows with the room (one flush window per this many
# sockets), which keeps presence frames per second about constant.
PRESENCE_ROOM = 25
# Presence client ids one person may own on one document. Ids are bound to the
# person for as long as the document is loaded (a page reload makes a new
# one); past this many, the person's oldest id no socket holds is forgotten.
MAX_OWNED = 64


# Sync step 2 answers kept per state vector until the document changes: a room
# joining at once sends the same (empty) state vector from every laptop.
STEP2_CACHE = 4

# Origins of changes the server did not receive from one of its own sockets.
SERVER = "server"
BROKER = "broker"  # relayed from another process, or caught up from storage


class LiveDoc:
    def __init__(
        self,
        key: DocKey,
        *,
        flush_window: float,
        persist: Callable[[str, bytes], None],
        relay: Callable[[str, Relay, bytes], None] | None = None,
        on_flush: Callable[[int], None] | None = None,
    ) -> None:
        self.key = key
        self.name = key.name
        self.flush_window = flush_window
        self._persist = persist
        self._relay = relay
        self._on_flush = on_flush
        # The id of the last stored update this replica is known to contain, so a
        # process can catch up with what others committed (rows after it).
        self.last_id = 0
        self.doc: YDoc = pycrdt.Doc()
        self.connections: set[Connection] = set()
        self.awareness: dict[int, tuple[int, str, Connection | None]] = {}
        # Presence client id -> (person, last clock sent out, clock offset). An id
        # stays its first person's after their socket closes, so nobody else can
        # take it over; that person's next socket takes it back (`_claim`).
        self.owners: dict[int, tuple[int, int, int]] = {}
        self._owned: dict[int, dict[int, None]] = {}
        # Bytes of the stored log (approximately: what was loaded plus what was
        # written since), for the per-person cap on notes.
        self.stored_bytes = 0
        self.lock = asyncio.Lock()
        self.unload_handle: asyncio.TimerHandle | None = None
        self.updates_since_compaction = 0
        self._origin: object = None
        self._committed = False
        self._send: list[bytes] = []
        self._send_origins: set[object] = set()
        self._store: list[bytes] = []
        self._publish: list[bytes] = []
        self._awareness_relay: dict[int, AwarenessEntry] = {}
        self._awareness_out: dict[int, AwarenessEntry] = {}
        self._flush_handle: asyncio.Handle | None = None
        self._flush_due = 0.0
        self._last_flush = float("-inf")
        self._last_presence = float("-inf")
        self._awareness_snapshot: list[bytes] | None = None
        # What every joiner gets, encoded once per state of the document (a
        # join storm of 91 laptops, or of 4,550 on a process, otherwise
        # encodes the whole document once per socket).
        self._step1: bytes | None = None
        self._step2: dict[bytes, bytes] = {}
        self._subscription = self.doc.observe(self._on_update)
        self.flushes = 0
        self.flushed_updates = 0

    # -- loading ---------------------------------------------------------------

    def load(self, updates: list[bytes]) -> None:
        """Fill a fresh replica from storage; nothing is sent or stored again."""
        self._origin = BROKER
        self._committed = True
        try:
            if len(updates) == 1:
                self.doc.apply_update(updates[0])
            elif updates:
                self.doc.apply_update(pycrdt.merge_updates(*updates))
        finally:
            self._origin = None
            self._committed = False
        self._send.clear()
        self._store.clear()
        self._publish.clear()
        self._send_origins.clear()
        self.updates_since_compaction = len(updates)
        self.stored_bytes = sum(len(update) for update in updates)

    # -- updates -----------------------------------------------------------------

    def _on_update(self, event: pycrdt.TransactionEvent) -> None:
        update = event.update
        if update == EMPTY_UPDATE:
            return
        self._step1 = None
        self._step2.clear()
        self._send.append(update)
        self._send_origins.add(self._origin)
        if self._origin is not BROKER:
            self._publish.append(update)
            if not self._committed:
                self._store.append(update)
        self._schedule_flush()

    def apply_relayed(self, update: bytes) -> None:
        """An update another process made (or stored): sent to our sockets, but
        neither stored nor relayed again."""
        self._origin = BROKER
        self._committed = True
        try:
            self.doc.apply_update(update)
        finally:
            self._origin = None
            self._committed = False

    def apply_client_update(self, update: bytes, origin: Connection) -> None:
        self._origin = origin
        try:
            self.doc.apply_update(update)
        except (ValueError, RuntimeError) as exc:  # pycrdt raises both on bad input
            raise ProtocolError("Bản cập nhật hỏng.", "Cannot decode update.") from exc
        finally:
            self._origin = None

    def new_bytes(self, update: bytes) -> int:
        """The size of what `update` brings that this replica lacks (its delete
        set included); 0 for nothing."""
        if update == EMPTY_UPDATE:
            return 0
        try:
            missing = pycrdt.get_update(update, self.doc.get_state())
        except (ValueError, RuntimeError) as exc:  # pycrdt raises both on bad input
            raise ProtocolError("Bản cập nhật hỏng.", "Cannot decode update.") from exc
        return 0 if missing == EMPTY_UPDATE else len(missing)

    def prepare(self, change: Callable[[YDoc], None]) -> bytes:
        """The update a server-made change would produce, computed on a fork of
        the replica (same client id, so the same item ids). Nothing changes
        here until `apply_committed`: a change that fails to commit leaves no
        trace, whatever storage is doing."""
        return Staging(self.doc).apply(change)

    def apply_committed(self, update: bytes) -> None:
        """A server-made update, now stored: to our sockets and the relay."""
        self._origin = SERVER
        self._committed = True
        try:
            self.doc.apply_update(update)
        finally:
            self._origin = None
            self._committed = False

    def is_noop(self, update: bytes) -> bool:
        """Would this update change nothing here? A client's step 2 repeats the
        whole delete set it knows, so it is tried on a scratch copy, whose
        observer fires only for what is new."""
        if update == EMPTY_UPDATE:
            return True
        ours = self.doc.get_state()
        changed: list[bytes] = []
        try:
            if pycrdt.get_update(update, ours) == EMPTY_UPDATE:
                return True
            scratch: YDoc = pycrdt.Doc()
            scratch.apply_update(self.doc.get_update())
            scratch.observe(lambda event: changed.append(event.update))
            scratch.apply_update(update)
        except (ValueError, RuntimeError) as exc:  # pycrdt raises both on bad input
            raise ProtocolError("Bản cập nhật hỏng.", "Cannot decode update.") from exc
        return all(u == EMPTY_UPDATE for u in changed)

    # -- awareness ---------------------------------------------------------------

    def apply_awareness(self, entries: tuple[AwarenessEntry, ...], conn: Connection) -> None:
        cost = sum(len(e.state) for e in entries)
        if not conn.presence.take(cost):
            raise RateLimited("Cập nhật hiện diện quá nhiều.", "Too much presence traffic.")
        if not conn.person.presence.take(cost):
            raise PersonPresenceLimited("Tài khoản gửi quá nhiều cập nhật hiện diện.",
                                        "Too much presence traffic from this account.")
        user_id = conn.identity.user_id
        for entry in entries:
            if len(entry.state) > MAX_AWARENESS_STATE:
                raise TooLarge("Trạng thái hiện diện quá lớn.", "Awareness state too large.")
            owned = self.owners.get(entry.client_id)
            if owned is not None and owned[0] != user_id:
                continue  # another person's id, now or earlier: never speak for them
            known = self.awareness.get(entry.client_id)
            if known is not None and known[2] is not conn:
                if owned is None:
                    continue  # relayed, of a person we cannot tell: leave it alone
                known = None  # the same person's newer socket takes its id back
            if entry.client_id not in conn.client_ids and len(conn.client_ids) >= MAX_IDS:
                # A Yjs client has one id per document; a flood of made-up ids
                # would be fanned out to every laptop in the room.
                raise ProtocolError("Quá nhiều định danh hiện diện trên một kết nối.",
                                    "Too many awareness client ids on one socket.")
            if known is None:
                offset = self._claim(entry, conn, owned)
            else:
                offset = owned[2] if owned is not None else 0
            clock = entry.clock + offset
            if known is not None and (
                clock < known[0] or (clock == known[0] and entry.state != "null")
            ):
                continue
            if entry.state == "null":
                self.awareness.pop(entry.client_id, None)
                conn.client_ids.discard(entry.client_id)
                out = AwarenessEntry(entry.client_id, clock, "null")
            else:
                state = self._stamp_presence(entry.state, conn)
                self.awareness[entry.client_id] = (clock, state, conn)
                conn.client_ids.add(entry.client_id)
                out = AwarenessEntry(entry.client_id, clock, state)
            self.owners[entry.client_id] = (user_id, clock, offset)
            self._awareness_out[entry.client_id] = out
            self._awareness_relay[entry.client_id] = out
        if self._awareness_out:
            self._schedule_flush(presence=True)

    def _claim(self, entry: AwarenessEntry, conn: Connection,
               owned: tuple[int, int, int] | None) -> int:
        """A socket starts speaking for an id: a new id becomes its person's; the
        person's own id, held before by another of their sockets (or by none
        since it closed), moves here. Returns the clock offset that keeps the
        clocks sent out for the id increasing, so replicas that saw the id
        removed accept the person's return."""
        user_id = conn.identity.user_id
        held = self.awareness.get(entry.client_id)
        if held is not None and held[2] is not None and held[2] is not conn:
            held[2].client_ids.discard(entry.client_id)
        if owned is None:
            mine = self._owned.setdefault(user_id, {})
            if len(mine) >= MAX_OWNED:
                for old in list(mine):
                    if old not in self.awareness:
                        del mine[old]
                        self.owners.pop(old, None)
                        break
            mine[entry.client_id] = None
            return 0
        return max(owned[2], owned[1] + 1 - entry.clock)

    def apply_relayed_awareness(self, entries: tuple[AwarenessEntry, ...]) -> None:
        """Presence of another process's sockets: kept (with no socket of ours
        behind it) and passed on to ours. The other process checked who may
        speak for the id; an id this process knows as someone else's is still
        refused."""
        for entry in entries:
            owned = self.owners.get(entry.client_id)
            person = _person_of(entry.state)
            if owned is not None and person is not None and person != owned[0]:
                continue
            known = self.awareness.get(entry.client_id)
            if known is not None and known[2] is not None:
                if person is None or person != known[2].identity.user_id:
                    continue  # one of our own sockets holds this id
                known[2].client_ids.discard(entry.client_id)  # the person moved on
                known = None
            if known is not None and entry.clock < known[0]:
                continue
            if entry.state == "null":
                self.awareness.pop(entry.client_id, None)
            else:
                self.awareness[entry.client_id] = (entry.clock, entry.state, None)
            owner = person if person is not None else (owned[0] if owned is not None else None)
            if owner is not None:
                offset = owned[2] if owned is not None else 0
                self.owners[entry.client_id] = (owner, max(entry.clock, owned[1] if owned
                                                           else 0), offset)
                self._owned.setdefault(owner, {})[entry.client_id] = None
            self._awareness_out[entry.client_id] = entry
        if self._awareness_out:
            self._schedule_flush(presence=True)

    @staticmethod
    def _stamp_presence(text: str, conn: Connection) -> str:
        try:
            state: Any = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ProtocolError("Trạng thái hiện diện không phải JSON.", "Bad awareness.") from exc
        if not isinstance(state, dict):
            raise ProtocolError("Trạng thái hiện diện phải là đối tượng.", "Bad awareness.")
        state["user"] = conn.identity.presence()
        return orjson.dumps(state).decode()

    def awareness_frames(self) -> list[bytes]:
        """Every known state, in frames any decoder accepts (at most 64 entries).

        Kept until the next presence flush: a socket given these frames is in
        the room by then, so whatever changed since reaches it with that
        flush. A room joining at once encodes the states once per presence
        window, not once per joiner."""
        if self._awareness_snapshot is None:
            entries = [AwarenessEntry(cid, clock, state)
                       for cid, (clock, state, _) in self.awareness.items()]
            self._awareness_snapshot = _awareness_frames(entries)
        return self._awareness_snapshot

    # -- connections ---------------------------------------------------------------

    def attach(self, conn: Connection) -> None:
        self.connections.add(conn)
        if self.unload_handle is not None:
            self.unload_handle.cancel()
            self.unload_handle = None
        if self._step1 is None:
            self._step1 = encode_sync_step1(self.doc.get_state())
        conn.send(self._step1)
        for frame in self.awareness_frames():
            conn.send(frame)

    def detach(self, conn: Connection) -> None:
        self.connections.discard(conn)
        for client_id in conn.client_ids:
            known = self.awareness.get(client_id)
            if known is None or known[2] is not conn:
                continue
            del self.awareness[client_id]
            gone = AwarenessEntry(client_id, known[0] + 1, "null")
            self._awareness_out[client_id] = gone
            self._awareness_relay[client_id] = gone
            owned = self.owners.get(client_id)
            if owned is not None:
                self.owners[client_id] = (owned[0], gone.clock, owned[2])
        conn.client_ids.clear()
        if self._awareness_out:
            self._schedule_flush(presence=True)

    def step2_update(self, state: bytes) -> bytes:
        try:
            return self.doc.get_update(state)
        except (ValueError, RuntimeError) as exc:  # pycrdt raises both on bad input
            raise ProtocolError("Vector trạng thái hỏng.", "Cannot decode state vector.") from exc

    def step2_for(self, state: bytes) -> bytes:
        """The answer to a socket's sync step 1; the same bytes for every
        socket that sends the same state vector while nothing changes."""
        frame = self._step2.get(state)
        if frame is None:
            frame = encode_sync_step2(self.step2_update(state))
            if len(self._step2) >= STEP2_CACHE:
                self._step2.pop(next(iter(self._step2)))
            self._step2[state] = frame
        return frame

    # -- flush ---------------------------------------------------------------------

    def _presence_window(self) -> float:
        return self.flush_window * max(1.0, len(self.connections) / PRESENCE_ROOM)

    def _schedule_flush(self, *, presence: bool = False) -> None:
        loop = asyncio.get_running_loop()
        due = self._last_flush + self.flush_window
        if presence:
            due = max(due, self._last_presence + self._presence_window())
        if self._flush_handle is not None:
            if self._flush_due <= due:
                return
            self._flush_handle.cancel()  # an update must not wait for presence's window
        self._flush_due = due
        if loop.time() >= due:
            self._flush_handle = loop.call_soon(self.flush)
        else:
            self._flush_handle = loop.call_at(due, self.flush)

    def flush(self) -> None:
        self._flush_handle = None
        self._last_flush = asyncio.get_running_loop().time()
        if self._awareness_out:
            self._last_presence = self._last_flush
            self._awareness_snapshot = None
        frames: list[bytes] = []
        sole_origin: object = None
        if self._send:
            merged = self._send[0] if len(self._send) == 1 else pycrdt.merge_updates(*self._send)
            frames.append(encode_sync_update(merged))
            if len(self._send_origins) == 1:
                sole_origin = next(iter(self._send_origins))
            self.flushed_updates += len(self._send)
            if self._on_flush is not None:
                self._on_flush(len(self._send))
            self._send.clear()
            self._send_origins.clear()
        if self._store:
            merged = self._store[0] if len(self._store) == 1 else pycrdt.merge_updates(*self._store)
            self._store.clear()
            self._persist(self.name, merged)
        if self._publish:
            if self._relay is not None:
                merged = (self._publish[0] if len(self._publish) == 1
                          else pycrdt.merge_updates(*self._publish))
                self._relay(self.name, Relay.UPDATE, merged)
            self._publish.clear()
        if self._awareness_relay:
            if self._relay is not None:
                # In messages the receiving side accepts (a room reconnecting at
                # once changes 91 entries in one window).
                entries = list(self._awareness_relay.values())
                for start in range(0, len(entries), MAX_AWARENESS_ENTRIES):
                    chunk = entries[start : start + MAX_AWARENESS_ENTRIES]
                    self._relay(self.name, Relay.AWARENESS, awareness_payload(chunk))
            self._awareness_relay.clear()
        awareness = _awareness_frames(list(self._awareness_out.values()))
        self._awareness_out.clear()
        self.flushes += 1
        for conn in tuple(self.connections):
            for frame in frames:
                if conn is not sole_origin:
                    conn.send(frame)
            for frame in awareness:
                conn.send(frame)

    def flush_now(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self.flush()


class Staging:
    """A fork of a replica (same client id, so the same item ids) on which
    server-made changes are computed one after another, each seeing the ones
    before it; the replica itself changes only when they are committed."""

    def __init__(self, doc: YDoc) -> None:
        self.doc: YDoc = pycrdt.Doc(client_id=doc.client_id)
        self.doc.apply_update(doc.get_update())
        self._made: list[bytes] = []
        self.doc.observe(lambda event: self._made.append(event.update))
        # A change that raised part-way may have left part of itself here.
        self.dirty = False

    def apply(self, change: Callable[[YDoc], None]) -> bytes:
        """Make the change here; the update it produced (EMPTY_UPDATE if none)."""
        self._made.clear()
        self.dirty = True
        with self.doc.transaction(origin=SERVER):
            change(self.doc)
        self.dirty = False
        made = [u for u in self._made if u != EMPTY_UPDATE]
        if not made:
            return EMPTY_UPDATE
        return made[0] if len(made) == 1 else pycrdt.merge_updates(*made)


class PersonPresenceLimited(RateLimited):
    """The per-person presence budget, apart so that it is counted apart."""


def _person_of(state: str) -> int | None:
    """The person another process stamped on a relayed state (`_stamp_presence`)."""
    if state == "null":
        return None
    try:
        user = orjson.loads(state).get("user")
        return int(user["id"]) if isinstance(user, dict) else None
    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError):
        return None


def _awareness_frames(entries: list[AwarenessEntry]) -> list[bytes]:
    return [encode_awareness(entries[i : i + MAX_AWARENESS_ENTRIES])
            for i in range(0, len(entries), MAX_AWARENESS_ENTRIES)]
