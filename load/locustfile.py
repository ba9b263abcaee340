"""A real session under locust: a chair, 90 delegates and the projector join
at once and run a meeting (issue 6, point 5).

Every laptop logs in over HTTP and opens `meeting/{id}/room` with a pycrdt
replica (load/locust_room.py). Then, in rounds, the chair:

1. moves the agenda cursor (`agenda.goto`);
2. turns pages every few seconds (`present.page`); every laptop fetches the
   page image when its replica shows the new page, the projector at its width;
3. holds a named vote: `poll.open`, each delegate `vote.cast` within the
   vote window, `poll.close` (a server without voting answers `poll.open`
   with `unknown_intent`: recorded as a skipped step);
4. drops the whole room's wifi: every socket of every locust process closes at
   once, and each laptop reconnects with jitter and resyncs its replica.

Meanwhile delegates ask to speak and withdraw (`speaker.request`,
`speaker.withdraw`). Every step is a locust request sample with a name that
says what it measures ("intent present.page → all replicas", "page image",
"vote commit", "reconnect resync", ...). Run it with load/run_locust.py, or
see load/README.md for locust itself and for distributed mode.
"""

from __future__ import annotations

import itertools
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import gevent
import gevent.event
import gevent.queue
import pycrdt
from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser
from locust.runners import MasterRunner, WorkerRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_live import parse_accounts  # noqa: E402
from locust_room import IntentFailed, Marks, Replica, record  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MARKS = Marks(deadline=10.0)
LAPTOPS: dict[str, Laptop] = {}  # the users of this locust process, by username
MARKS.replicas = lambda: [name for name, laptop in LAPTOPS.items() if laptop.replica.live]
RUN = uuid.uuid4().hex[:6]


# -- options -----------------------------------------------------------------------------


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    group = parser.add_argument_group("Phòng họp không giấy")
    group.add_argument("--accounts", default=str(ROOT / "var" / "demo-accounts.txt"),
                       help="demo-accounts.txt of the server under test")
    group.add_argument("--meeting", type=int, default=0, help="meeting id (0: the chair's)")
    group.add_argument("--prefix", default="",
                       help="before every username, e.g. dt1a2b3c- for the accounts of"
                            " `phonghop rehearsal create` (none for the demo)")
    group.add_argument("--document", type=int, default=0,
                       help="document to page through (0: the meeting's first public one)")
    group.add_argument("--room-size", type=int, default=92,
                       help="laptops in the room, chair and projector included (92)")
    group.add_argument("--page-every", type=float, default=3.0, help="seconds per page (3)")
    group.add_argument("--pages-per-round", type=int, default=5)
    group.add_argument("--vote-spread", type=float, default=3.0,
                       help="delegates vote at a random moment within this many seconds (3)")
    group.add_argument("--vote-timeout", type=float, default=10.0,
                       help="the chair closes the poll after this many seconds (10)")
    group.add_argument("--drop-every", type=int, default=1,
                       help="wifi drop every N rounds (1; 0: never)")
    group.add_argument("--drop-jitter", type=float, default=3.0,
                       help="laptops reconnect at a random moment within this many seconds (3)")
    group.add_argument("--speak-every", type=float, default=40.0,
                       help="mean seconds between one delegate's requests to speak (40; 0: never)")


# -- messages between locust processes -----------------------------------------------------
#
# Alone, locust calls our handlers directly. With workers, a worker sends "relay"
# to the master, which sends the message on to every worker, the sender included.


def broadcast(environment: Any, kind: str, data: dict[str, Any]) -> None:
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        runner.send_message("relay", {"kind": kind, "data": data})
    else:
        runner.send_message(kind, data)


def _on_mark(environment: Any, msg: Any, **_: Any) -> None:
    MARKS.sent(tuple(msg.data["key"]), msg.data["label"], float(msg.data["at"]))


def _on_drop(environment: Any, msg: Any, **_: Any) -> None:
    at, jitter = float(msg.data["at"]), float(msg.data["jitter"])
    laptops = list(LAPTOPS.values())
    for laptop in laptops:  # all at once: the access point is gone
        laptop.replica.drop()
    for laptop in laptops:
        gevent.spawn(laptop.rejoin, at, random.uniform(0, jitter))


_claims: dict[str, gevent.event.AsyncResult] = {}
_numbers = itertools.count(1)


def _on_claimed(environment: Any, msg: Any, **_: Any) -> None:
    result = _claims.pop(msg.data["token"], None)
    if result is not None:
        result.set(int(msg.data["n"]))


def claim_number(environment: Any) -> int:
    """A delegate number unique across all locust processes."""
    runner = environment.runner
    if not isinstance(runner, WorkerRunner):
        return next(_numbers)
    token = uuid.uuid4().hex
    result: gevent.event.AsyncResult = gevent.event.AsyncResult()
    _claims[token] = result
    runner.send_message("claim", {"token": token})
    return int(result.get(timeout=30))


@events.init.add_listener
def _init(environment: Any, **_: Any) -> None:
    options = environment.parsed_options
    if options is not None:
        # chair + delegates + projector; the master decides who runs where.
        Delegate.fixed_count = max(1, options.room_size - 2)
    runner = environment.runner
    if runner is None:
        return
    if isinstance(runner, MasterRunner):
        runner.register_message(
            "relay", lambda environment, msg, **_: runner.send_message(msg.data["kind"],
                                                                        msg.data["data"]))
        runner.register_message(
            "claim", lambda environment, msg, **_: runner.send_message(
                "claimed", {"token": msg.data["token"], "n": next(_numbers)},
                client_id=msg.node_id))
        return
    runner.register_message("mark", _on_mark)
    runner.register_message("wifi_drop", _on_drop)
    if isinstance(runner, WorkerRunner):
        runner.register_message("claimed", _on_claimed)


def mark_sent(environment: Any, key: tuple[Any, ...], label: str) -> float:
    """Note that an intent is about to go out, here and in every other process."""
    at = time.time()
    MARKS.sent(key, label, at)
    if isinstance(environment.runner, WorkerRunner):
        broadcast(environment, "mark", {"key": list(key), "label": label, "at": at})
    return at


# -- the laptops ------------------------------------------------------------------------------


class Laptop(FastHttpUser):
    abstract = True
    wait_time = constant(0)
    network_timeout = 120.0
    connection_timeout = 60.0
    role = "delegate"
    image_width = "laptop"

    def on_start(self) -> None:
        self.started = time.time()
        o = self.environment.parsed_options
        self.options = o
        self.username = o.prefix + self.pick_username()
        password = parse_accounts(Path(o.accounts).read_text(encoding="utf-8"))[self.username]
        with self.client.post("/api/login", json={"username": self.username,
                                                  "password": password},
                              name="login", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}")
                raise StopUser()
            body = r.json()
        self.token = body["token"]
        self.user_id = int(body["user"]["id"])
        self.auth = {"Authorization": f"Bearer {self.token}"}
        self.meeting = o.meeting or self.find_meeting()
        ws = self.host.rstrip("/").replace("http", "ws", 1)
        url = f"{ws}/ws/meeting/{self.meeting}/room?token={self.token}&device=locust"
        self.events: gevent.queue.Queue[tuple[str, Any]] = gevent.queue.Queue()
        self.polls_open: set[int] = set()
        self.replica = Replica(self.username, url, self.user_id, self.changed)
        LAPTOPS[self.username] = self
        begun = time.time()
        try:
            synced = self.replica.connect()
        except Exception as exc:  # noqa: BLE001  any failure to join is a sample, then the end
            record("join: synced", begun, error=f"{type(exc).__name__}: {exc}"[:200])
            LAPTOPS.pop(self.username, None)
            raise StopUser() from exc
        record("join: synced", begun, ended=synced)

    def on_stop(self) -> None:
        LAPTOPS.pop(getattr(self, "username", ""), None)
        if hasattr(self, "replica"):
            self.replica.close()

    def pick_username(self) -> str:
        return f"delegate{claim_number(self.environment):02d}"

    def find_meeting(self) -> int:
        r = self.client.get("/api/meetings", headers=self.auth, name="GET /api/meetings")
        meetings = r.json()["meetings"]
        for meeting in meetings:
            if meeting.get("status") not in ("ended", "archived"):
                return int(meeting["id"])
        raise StopUser()

    # -- what the replica shows (called from its receiving greenlet) -----------------------

    def changed(self, kind: str, value: Any, at: float) -> None:
        name = self.username
        if kind == "page":
            MARKS.seen(("page", *value), name, at)
            self.events.put(("page", value))
        elif kind == "item":
            MARKS.seen(("item", value), name, at)
        elif kind == "poll":
            poll, status, _cast, question = value
            if status == "open" and poll not in self.polls_open:
                self.polls_open.add(poll)  # its ballot count changes with every vote
                MARKS.seen(("poll.open", question), name, at)
                self.events.put(("poll", poll))
            elif status == "closed":
                MARKS.seen(("poll.close", question), name, at)
        elif kind == "speaker":
            MARKS.seen(("speaker", value), name, at)
        elif kind == "session":
            self.events.put(("session", value))

    def fetch_page(self, document: int, page: int) -> None:
        if self.replica.seen.page != (document, page):
            return  # already turned again: a laptop shows the latest page only
        path = f"/api/documents/{document}/pages/{page}?w={self.image_width}&fmt=webp"
        name = "page image" if self.image_width == "laptop" else f"page image ({self.image_width})"
        with self.client.get(path, headers=self.auth, name=name, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}")
                return
        sent = MARKS.sent_at(("page", document, page))
        if sent is not None and self.image_width == "laptop":
            record("page turn → image on laptop", sent)

    # -- the wifi comes back ------------------------------------------------------------------

    def rejoin(self, dropped_at: float, delay: float) -> None:
        gevent.sleep(delay)
        for attempt in range(3):
            begun = time.time()
            try:
                synced = self.replica.connect(timeout=30)
            except Exception as exc:  # noqa: BLE001  any failure is a sample, then a retry
                record("reconnect resync", begun, error=f"{type(exc).__name__}: {exc}"[:200])
                gevent.sleep(1 + attempt)
                continue
            record("reconnect resync", begun, ended=synced)
            record("wifi drop → resynced (each laptop)", dropped_at, ended=synced)
            return


class Delegate(Laptop):
    fixed_count = 90

    @task
    def live(self) -> None:
        o = self.options
        my_request = False
        next_speak = self.next_speak_time()
        withdraw_at = 0.0
        self.check_in()
        while True:
            due = withdraw_at if my_request else next_speak
            try:
                kind, value = self.events.get(timeout=max(0.01, due - time.time()))
            except gevent.queue.Empty:
                if not self.replica.live or self.replica.seen.session != "open":
                    next_speak = self.next_speak_time()
                    continue
                try:
                    if my_request:
                        self.replica.intent("speaker.withdraw", {})
                        my_request = False
                        next_speak = self.next_speak_time()
                    else:
                        mark_sent(self.environment, ("speaker", self.user_id),
                                  "intent speaker.request")
                        self.replica.intent("speaker.request", {"kind": "speech"})
                        my_request = True
                        withdraw_at = time.time() + random.uniform(5, 15)
                except IntentFailed:
                    my_request = False
                    next_speak = self.next_speak_time()
                continue
            if kind == "page":
                self.fetch_page(*value)
            elif kind == "session" and value == "open":
                self.check_in()
            elif kind == "poll":
                gevent.spawn(self.vote, value, random.uniform(0, o.vote_spread))

    def next_speak_time(self) -> float:
        every = self.options.speak_every
        return time.time() + (random.expovariate(1 / every) if every > 0 else 1e9)

    def check_in(self) -> None:
        if self.replica.live and self.replica.seen.session == "open" and \
                not self.replica.present(self.user_id):
            try:
                self.replica.intent("attendance.check_in", {})
            except IntentFailed:
                pass  # recorded; the room shows it absent

    def vote(self, poll: int, delay: float) -> None:
        gevent.sleep(delay)
        if self.replica.seen.polls.get(poll, ("",))[0] != "open" or \
                not self.replica.present(self.user_id):
            return
        try:
            self.replica.intent("vote.cast", {"poll": poll, "choice": 0}, name="vote commit")
        except IntentFailed:
            pass  # recorded as a failed "vote commit"


class Display(Laptop):
    fixed_count = 1
    role = "display"
    image_width = "projector"

    def pick_username(self) -> str:
        return "manhinh"

    @task
    def live(self) -> None:
        while True:
            kind, value = self.events.get()
            if kind == "page":
                self.fetch_page(*value)


class Chair(Laptop):
    fixed_count = 1
    role = "chair"

    def pick_username(self) -> str:
        return "chutoa"

    @task
    def live(self) -> None:
        # locust runs a task again after an exception: the session starts once.
        if not getattr(self, "ready", None):
            self.ready = self.open_session()
        document, pages = self.ready
        o = self.options
        room = self.replica
        page = room.seen.page[1] if room.seen.page and room.seen.page[0] == document else 0
        for rounds in itertools.count(getattr(self, "rounds", 0) + 1):
            self.rounds = rounds
            self.goto()
            gevent.sleep(o.page_every)
            for _ in range(o.pages_per_round):
                began = time.time()
                page = page % pages + 1
                mark_sent(self.environment, ("page", document, page), "intent present.page")
                try:
                    room.intent("present.page", {"document": document, "page": page})
                except IntentFailed:
                    pass
                gevent.sleep(max(0.0, began + o.page_every - time.time()))
            self.vote(rounds)
            gevent.sleep(o.page_every)  # the result reaches everyone before the wifi goes
            if o.drop_every and rounds % o.drop_every == 0:
                self.wifi_drop()
                gevent.sleep(o.page_every)

    def open_session(self) -> tuple[int, int]:
        """Wait for the room, open the session, wait for the check-ins."""
        o = self.options
        room = self.replica
        self.wait_until(lambda: room.awareness_count() >= o.room_size, 120)
        record("join: whole room in (from the first login)", self.started,
               error=None if room.awareness_count() >= o.room_size
               else f"{room.awareness_count()} of {o.room_size} laptops")
        if room.seen.session in (None, "not_started"):
            room.intent("session.open", {"early": True})
        opened = time.time()
        if not room.present(self.user_id):
            room.intent("attendance.check_in", {})
        delegates = o.room_size - 2
        self.wait_until(lambda: room.present_delegates() >= delegates, 60)
        here = room.present_delegates()
        record("check-in: whole room present", opened,
               error=None if here >= delegates else f"{here} of {delegates} delegates")
        return self.document()

    def wait_until(self, predicate: Any, timeout: float) -> bool:
        deadline = time.time() + timeout
        while not predicate():
            if time.time() > deadline:
                return False
            gevent.sleep(0.02)
        return True

    def document(self) -> tuple[int, int]:
        r = self.client.get(f"/api/meetings/{self.meeting}", headers=self.auth,
                            name="GET /api/meetings/{id}")
        documents = r.json()["meeting"]["documents"]
        if self.options.document:
            chosen = next(d for d in documents if int(d["id"]) == self.options.document)
        else:
            chosen = next((d for d in documents if d.get("confidentiality") == "public"),
                          documents[0])
        return int(chosen["id"]), int(chosen["page_count"])

    def goto(self) -> None:
        agenda = self.replica.doc.get("agenda", type=pycrdt.Array).to_py() or []
        items = [int(i["id"]) for i in agenda]
        if not items:
            return
        current = self.replica.seen.item
        target = items[(items.index(current) + 1) % len(items)] if current in items else items[0]
        mark_sent(self.environment, ("item", target), "intent agenda.goto")
        try:
            self.replica.intent("agenda.goto", {"item": target})
        except IntentFailed:
            pass

    def vote(self, rounds: int) -> None:
        o = self.options
        room = self.replica
        question = f"Biểu quyết thử số {rounds} ({RUN})"
        opened = mark_sent(self.environment, ("poll.open", question), "intent poll.open")
        try:
            poll = int(room.intent("poll.open", {"question": question, "kind": "named",
                                                 "rule": "present_majority"})["poll"])
        except IntentFailed as exc:
            MARKS.forget(("poll.open", question))
            if exc.code == "unknown_intent":
                record("vote: skipped (poll.open answered unknown_intent)", time.time(),
                       kind="SKIP")
            return
        voters = room.present_delegates()
        all_in = self.wait_until(
            lambda: room.seen.polls.get(poll, ("", 0))[1] >= voters, o.vote_timeout)
        cast = room.seen.polls.get(poll, ("", 0))[1]
        record("vote: poll.open → all ballots in", opened,
               error=None if all_in else f"{cast} of {voters} ballots in {o.vote_timeout:g} s")
        mark_sent(self.environment, ("poll.close", question), "intent poll.close")
        try:
            room.intent("poll.close", {"poll": poll})
        except IntentFailed:
            MARKS.forget(("poll.close", question))

    def wifi_drop(self) -> None:
        o = self.options
        at = time.time()
        broadcast(self.environment, "wifi_drop", {"at": at, "jitter": o.drop_jitter})
        # Through a locust master the drop reaches this process a moment later.
        self.wait_until(lambda: not self.replica.live, 5)
        back = self.wait_until(
            lambda: self.replica.live and self.replica.awareness_count() >= o.room_size,
            o.drop_jitter + 30)
        record("wifi drop → whole room back", at,
               error=None if back else f"{self.replica.awareness_count()} of {o.room_size}"
               " laptops back")
