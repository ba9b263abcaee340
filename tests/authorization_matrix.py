"""Who may do what, as data: every HTTP route, the websocket and every intent
of the live session, against every kind of caller.

`tests/test_authorization.py` fails when a route of
`collab_server.transport.app.routes()` or an intent of `HANDLERS` has no rule
here (or a rule names one that is gone), and plays every cell against a real
server. `docs/authorization.md` is rendered from this file:

    .venv/bin/python -m tests.authorization_matrix > docs/authorization.md

An outcome is `OK` (HTTP 2xx, an intent's `ok`, a socket that opens or a
write that is accepted), an HTTP status, an intent's error code, a websocket
close code, or for the listing cases `FOUND` / `HIDDEN`. `today` holds the
cells where the server does not (yet) do what the rule says: the test expects
what the server does today, so fixing the server fails the test until the
cell moves from `today` to the rule.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

Outcome = str | int

OK = "ok"
FOUND = "found"
HIDDEN = "hidden"

# -- who calls ------------------------------------------------------------------------------

PARTICIPANTS = ("display", "guest", "delegate", "secretary", "chair")
# Callers of anything under a meeting. "another body" is an admin (and preparer)
# of another body, the strongest caller that must still see nothing here.
MEETING_ROLES = ("anon", "other_body", "other_meeting", "outsider", *PARTICIPANTS, "body_admin")
# HTTP routes under a meeting also have this column: an outsider asking for an
# id (meeting, document, poll) that does not exist.
MISSING = "missing"
# Callers of routes that belong to no meeting.
GLOBAL_ROLES = ("anon", "plain", "preparer", "admin", "other_admin")
# Callers of a request for written opinions (transport/opinion_access.py): besides the
# global callers, a member asked and the request's chair (no body role either).
OPINION_ROLES = ("anon", "other_admin", "plain", "member", "opinion_chair", "preparer", "admin")

LABELS = {
    "anon": "no session",
    "other_body": "another body",
    "other_meeting": "another meeting",
    "outsider": "outsider",
    MISSING: "no such id",
    "display": "display",
    "guest": "guest",
    "delegate": "delegate",
    "secretary": "secretary",
    "chair": "chair",
    "body_admin": "body admin",
    "plain": "plain user",
    "preparer": "preparer",
    "admin": "admin",
    "other_admin": "admin of another body",
    "member": "member asked",
    "opinion_chair": "its chair",
}

VIEWERS = (*PARTICIPANTS, "body_admin")
READERS = ("guest", "delegate", "secretary", "chair", "body_admin")  # not the projector
PREPARERS = ("secretary", "chair", "body_admin")
SIGNERS = ("secretary", "chair")
NOTE_TAKERS = ("guest", "delegate", "secretary", "chair")
INVITEES = ("guest", "delegate", "secretary", "chair")
MEMBERS = ("delegate", "chair")
USERS = ("plain", "preparer", "admin", "other_admin")


@dataclass(frozen=True)
class Rule:
    """One row: `key` names the route ("GET /api/me", "WS /ws/{path:path}") or
    the intent ("session.open"); `case` the situation the cells are played in."""

    key: str
    expect: Mapping[str, Outcome]
    case: str = ""
    note: str = ""
    today: Mapping[str, Outcome] = field(default_factory=dict)

    @property
    def scope(self) -> str:
        if "member" in self.expect:
            return "opinion"
        return "meeting" if "chair" in self.expect else "global"

    @property
    def columns(self) -> tuple[str, ...]:
        if self.scope == "opinion":
            return OPINION_ROLES
        if self.scope == "global":
            return GLOBAL_ROLES
        return (*MEETING_ROLES[:4], MISSING, *MEETING_ROLES[4:]) if MISSING in self.expect \
            else MEETING_ROLES

    def observed(self, role: str) -> Outcome:
        """What the server answers today."""
        return self.today.get(role, self.expect[role])

    @property
    def label(self) -> str:
        return f"{self.key} ({self.case})" if self.case else self.key


def meeting(ok: Iterable[str] = (), *, refused: Outcome = 403, missing: Outcome = 403,
            **other: Outcome) -> dict[str, Outcome]:
    """An HTTP route under a meeting: 401 without a session, 403 for anyone who
    takes no part, whether or not the meeting exists; `refused` for the rest."""
    allowed = set(ok)
    out: dict[str, Outcome] = {"anon": 401, "other_body": 403, "other_meeting": 403,
                               "outsider": 403, MISSING: missing}
    out.update({role: OK if role in allowed else refused for role in VIEWERS})
    out.update(other)
    return out


def listing(visible: Iterable[str]) -> dict[str, Outcome]:
    """Whether a list (search, the caller's meetings) shows the thing."""
    shown = set(visible)
    out: dict[str, Outcome] = {role: FOUND if role in shown else HIDDEN
                               for role in MEETING_ROLES}
    out["anon"] = 401
    return out


def users(ok: Iterable[str] = (), *, anon: Outcome = 401, **other: Outcome) -> dict[str, Outcome]:
    """A route outside any meeting."""
    allowed = set(ok)
    out: dict[str, Outcome] = {"anon": anon}
    out.update({role: OK if role in allowed else 403 for role in USERS})
    out.update(other)
    return out


def opinion(ok: Iterable[str] = (), *, refused: Outcome = 403,
            **other: Outcome) -> dict[str, Outcome]:
    """A route of written opinions: 401 without a session, 403 for anyone who may
    not see the request (whether or not it exists); `refused` for the rest."""
    allowed = set(ok)
    out: dict[str, Outcome] = {"anon": 401}
    out.update({role: OK if role in allowed else 403 if role in ("other_admin", "plain")
                else refused for role in OPINION_ROLES[1:]})
    out.update(other)
    return out


def opinion_listing(visible: Iterable[str]) -> dict[str, Outcome]:
    shown = set(visible)
    out: dict[str, Outcome] = {role: FOUND if role in shown else HIDDEN
                               for role in OPINION_ROLES}
    out["anon"] = 401
    return out


def anyone(**other: Outcome) -> dict[str, Outcome]:
    return {**{role: OK for role in GLOBAL_ROLES}, **other}


def socket(ok: Iterable[str] = (), **other: Outcome) -> dict[str, Outcome]:
    """A live document: closed with 4401 without a session, 4403 when refused."""
    allowed = set(ok)
    out: dict[str, Outcome] = {"anon": 4401}
    out.update({role: OK if role in allowed else 4403 for role in MEETING_ROLES[1:]})
    out.update(other)
    return out


def live(ok: Iterable[str] = (), **other: Outcome) -> dict[str, Outcome]:
    """An intent: only participants open the room socket (4401 without a
    session, 4403 for everyone else, body admins included)."""
    allowed = set(ok)
    out: dict[str, Outcome] = {"anon": 4401, "other_body": 4403, "other_meeting": 4403,
                               "outsider": 4403, "body_admin": 4403}
    out.update({role: OK if role in allowed else "forbidden" for role in PARTICIPANTS})
    out.update(other)
    return out


# -- HTTP -----------------------------------------------------------------------------------

CHAIR_ROLE = ("the chair role is given and taken by a body admin; while the meeting has no"
              " chair, its preparers name one")
OWN_BODY = "a room, unit or group of the admin's own body; another body's is 404"
OP = "/api/opinions/{opinion_id}"
OFFICE = ("preparer", "admin")
OPINION_READERS = ("member", "opinion_chair", "preparer", "admin")
DOCUMENT_IDS = "an outsider learns which document ids exist (404) where the rule says 403"

# Tasks: the *plain user* column is the person the task is assigned to.
TASK = ("the responsible person (*plain user*), the office, the chair or secretary of its"
        " meeting; another body's is 404")
RESPONSIBLE = "the person (or a member of the unit) responsible; the role is checked first"
REPORT = "also chairs and secretaries of the body's meetings (their meetings' tasks); audited"
TASK_OFFICE = "the office of the task's body (admins, preparers) or its meeting's secretary"

HTTP: tuple[Rule, ...] = (
    # System endpoints and the session.
    Rule("GET /-/health", anyone(), note="no login; nginx restricts `/-/` to monitoring"),
    Rule("GET /-/metrics", anyone(), note="no login; nginx restricts `/-/` to monitoring"),
    Rule("POST /api/login", anyone(), note="with the caller's own username and password"),
    Rule("POST /api/logout", anyone(),
         note="without a session there is nothing to revoke: 200 and the cookie cleared"),
    Rule("POST /api/logout/everywhere", users(USERS)),
    Rule("GET /api/me", users(USERS)),
    Rule("POST /api/me/password", users(USERS), note="with the caller's own current password"),
    Rule("GET /api/oidc", anyone()),
    Rule("GET /api/oidc/login", anyone(**dict.fromkeys(GLOBAL_ROLES, 404)),
         note="404 while single sign-on is off (no `PHONGHOP_OIDC_ISSUER`)"),
    Rule("GET /api/oidc/callback", anyone(**dict.fromkeys(GLOBAL_ROLES, 404)),
         note="404 while single sign-on is off (no `PHONGHOP_OIDC_ISSUER`)"),
    Rule("GET /api/meetings", users(USERS)),
    Rule("GET /api/meetings", listing(VIEWERS), case="lists a meeting"),
    Rule("POST /api/meetings", users(("preparer", "admin", "other_admin")),
         note="in the caller's own body"),
    # A meeting and its lifecycle.
    Rule("GET /api/meetings/{meeting_id}", meeting(VIEWERS)),
    Rule("PATCH /api/meetings/{meeting_id}", meeting(PREPARERS), note="status draft or invited"),
    Rule("PATCH /api/meetings/{meeting_id}", meeting(refused=403, secretary=409, chair=409,
                                                     body_admin=409),
         case="meeting in session", note="the role is checked before the status"),
    Rule("POST /api/meetings/{meeting_id}/status", meeting(PREPARERS), case="draft → invited"),
    Rule("POST /api/meetings/{meeting_id}/status", meeting(PREPARERS), case="invited → draft"),
    Rule("POST /api/meetings/{meeting_id}/status", meeting(PREPARERS),
         case="invited → in_session"),
    Rule("POST /api/meetings/{meeting_id}/status", meeting(("chair", "body_admin")),
         case="in_session → ended"),
    Rule("POST /api/meetings/{meeting_id}/status", meeting(PREPARERS), case="ended → archived"),
    Rule("POST /api/meetings/{meeting_id}/status", meeting(refused=409),
         case="draft → ended (no such transition)",
         note="409 for everyone who sees the meeting: the transition is checked first"),
    # Agenda.
    Rule("POST /api/meetings/{meeting_id}/agenda", meeting(PREPARERS)),
    Rule("POST /api/meetings/{meeting_id}/agenda", meeting(secretary=409, chair=409,
                                                           body_admin=409),
         case="meeting ended"),
    Rule("PUT /api/meetings/{meeting_id}/agenda/order", meeting(PREPARERS)),
    Rule("PATCH /api/meetings/{meeting_id}/agenda/{item_id}", meeting(PREPARERS)),
    Rule("DELETE /api/meetings/{meeting_id}/agenda/{item_id}", meeting(PREPARERS)),
    # Participants and invitations.
    Rule("GET /api/meetings/{meeting_id}/participants", meeting(READERS),
         note="answers and deputies only for secretary, chair, admin; not the projector"),
    Rule("POST /api/meetings/{meeting_id}/participants", meeting(PREPARERS)),
    Rule("POST /api/meetings/{meeting_id}/participants", meeting(("body_admin",)),
         case="as chair", note=CHAIR_ROLE),
    Rule("PATCH /api/meetings/{meeting_id}/participants/{user_id}", meeting(PREPARERS),
         note="a delegate made a guest: delegate, guest and display roles"),
    Rule("PATCH /api/meetings/{meeting_id}/participants/{user_id}", meeting(("body_admin",)),
         case="a delegate made chair", note=CHAIR_ROLE),
    Rule("PATCH /api/meetings/{meeting_id}/participants/{user_id}", meeting(("body_admin",)),
         case="the chair made a delegate", note=CHAIR_ROLE),
    Rule("PATCH /api/meetings/{meeting_id}/participants/{user_id}",
         meeting(("chair", "body_admin")), case="a delegate made secretary",
         note="the secretary role is given and taken by the chair or a body admin"),
    Rule("PATCH /api/meetings/{meeting_id}/participants/{user_id}", meeting(),
         case="the caller's own role", note="nobody gives themselves a role"),
    Rule("DELETE /api/meetings/{meeting_id}/participants/{user_id}", meeting(PREPARERS)),
    Rule("DELETE /api/meetings/{meeting_id}/participants/{user_id}", meeting(("body_admin",)),
         case="the chair", note=CHAIR_ROLE),
    Rule("POST /api/meetings/{meeting_id}/participants/{user_id}/deputy",
         meeting(("chair", "body_admin")), note="a deputy named by a delegate, pending"),
    # Saved groups of attendees, added to a meeting in one go.
    Rule("GET /api/meetings/{meeting_id}/groups", meeting(PREPARERS),
         note="names and sizes of the groups of the meeting's body"),
    Rule("POST /api/meetings/{meeting_id}/groups/{group_id}", meeting(PREPARERS),
         note="its people join as delegates or guests; those already in keep their role"),
    Rule("POST /api/meetings/{meeting_id}/groups/{group_id}",
         meeting(secretary=404, chair=404, body_admin=404), case="a group of another body"),
    Rule("GET /api/meetings/{meeting_id}/checkin-code", meeting(("display", "secretary", "chair")),
         case="room code", note="the QR code shown in the room; body admins take no part"),
    Rule("GET /api/meetings/{meeting_id}/checkin-code", meeting(SIGNERS),
         case="one person's code", note="audited: it checks in that person only"),
    Rule("PUT /api/meetings/{meeting_id}/response", meeting(INVITEES),
         note="the invitee's own answer; the display has no invitation"),
    Rule("PUT /api/meetings/{meeting_id}/response", meeting(guest=409, delegate=409,
                                                            secretary=409, chair=409),
         case="meeting in session"),
    Rule("GET /api/meetings/{meeting_id}/deputies", meeting(("guest", "delegate")),
         note="people of the body an invitee may send in their place"),
    Rule("GET /api/meetings/{meeting_id}/invitation.pdf", meeting(READERS),
         note="the invitation letter as sent; audited"),
    Rule("GET /api/meetings/{meeting_id}/invitation.pdf", meeting(PREPARERS, delegate=OK),
         case="one invitee's personal letter (?user=)",
         note="the letter to delegate01 (the *delegate* column): an invitee reads only their"
              " own; those who prepare the meeting read every invitee's"),
    # Documents of a meeting.
    Rule("GET /api/meetings/{meeting_id}/documents", meeting(VIEWERS)),
    Rule("POST /api/meetings/{meeting_id}/documents", meeting(PREPARERS)),
    Rule("POST /api/meetings/{meeting_id}/documents", meeting(secretary=409, chair=409,
                                                              body_admin=409),
         case="meeting ended"),
    Rule("POST /api/meetings/{meeting_id}/documents/attach", meeting(PREPARERS),
         note="a downloadable document of another meeting the caller takes part in"),
    Rule("POST /api/meetings/{meeting_id}/documents/attach", meeting(),
         case="from another body's meeting", note="the caller must see the source meeting"),
    Rule("GET /api/documents/{document_id}", meeting(VIEWERS),
         note=DOCUMENT_IDS),
    Rule("PATCH /api/documents/{document_id}", meeting(PREPARERS),
         note=DOCUMENT_IDS),
    Rule("PATCH /api/documents/{document_id}", meeting(secretary=409, chair=409, body_admin=409),
         case="meeting archived", note="an archived meeting's record is read-only"),
    Rule("DELETE /api/documents/{document_id}", meeting(PREPARERS),
         note=DOCUMENT_IDS),
    Rule("DELETE /api/documents/{document_id}", meeting(secretary=409, chair=409,
                                                        body_admin=409),
         case="meeting archived", note=DOCUMENT_IDS),
    # The projector reads only the page on the wall, in session
    # (test_insider.py::test_the_projector_reads_only_what_the_wall_shows).
    Rule("GET /api/documents/{document_id}/pages/{page_no}", meeting(READERS),
         note=DOCUMENT_IDS),
    Rule("GET /api/documents/{document_id}/pages/{page_no}/text", meeting(READERS),
         note=DOCUMENT_IDS),
    Rule("GET /api/documents/{document_id}/original", meeting(PREPARERS),
         case="download not allowed", note=DOCUMENT_IDS),
    Rule("GET /api/documents/{document_id}/original", meeting(VIEWERS),
         case="download allowed", note=DOCUMENT_IDS),
    Rule("GET /api/documents/{document_id}/opens", meeting(PREPARERS),
         note=DOCUMENT_IDS),
    Rule("GET /api/documents/{document_id}/annotated", meeting(NOTE_TAKERS),
         note="the caller's own notes: participants who take notes, not body admins; "
              + DOCUMENT_IDS),
    # Polls (participants only: ballots are for those in the meeting).
    Rule("GET /api/meetings/{meeting_id}/polls", meeting(PARTICIPANTS)),
    Rule("GET /api/polls/{poll_id}", meeting(PARTICIPANTS)),
    Rule("GET /api/polls/{poll_id}/receipts", meeting(("delegate", "chair")),
         note="a closed secret poll; only those who cast a ballot in it"),
    Rule("GET /api/polls/{poll_id}/result.pdf", meeting(PARTICIPANTS)),
    Rule("GET /api/polls/{poll_id}/result.csv", meeting(PARTICIPANTS),
         note="body admins get the same CSV inside `export.zip`"),
    # After the session.
    Rule("GET /api/meetings/{meeting_id}/minutes", meeting(READERS)),
    Rule("GET /api/meetings/{meeting_id}/minutes/draft", meeting(PREPARERS)),
    Rule("POST /api/meetings/{meeting_id}/minutes/approve", meeting(SIGNERS),
         note="status ended; the same text again answers 200 `unchanged`"),
    Rule("POST /api/meetings/{meeting_id}/minutes/approve", meeting(secretary=409, chair=409),
         case="meeting not ended"),
    Rule("GET /api/meetings/{meeting_id}/minutes/{version}.pdf", meeting(READERS)),
    Rule("GET /api/meetings/{meeting_id}/conclusion", meeting(READERS)),
    Rule("POST /api/meetings/{meeting_id}/conclusion", meeting(SIGNERS),
         note="status ended, minutes approved"),
    Rule("GET /api/meetings/{meeting_id}/conclusion.pdf", meeting(READERS)),
    Rule("POST /api/meetings/{meeting_id}/minutes/{version}/sign",
         meeting(secretary=409, chair=409),
         note="only the person named in a signature block, in that role; 409 here: no signing"
              " key on this server (tests/test_signing_documents.py signs)"),
    Rule("POST /api/meetings/{meeting_id}/conclusion/{version}/sign", meeting(chair=409),
         note="the notice's block is the chair's; 409 here: no signing key on this server"),
    Rule("GET /api/meetings/{meeting_id}/export.zip", meeting(PREPARERS)),
    # Replay of an ended meeting (transport/replay.py, docs/replay.md).
    Rule("GET /api/meetings/{meeting_id}/replay", meeting(PREPARERS),
         note="the chair, the secretary, body admins and inspectors of the body"),
    Rule("GET /api/meetings/{meeting_id}/replay", meeting(secretary=409, chair=409,
                                                          body_admin=409),
         case="meeting not ended"),
    Rule("GET /api/meetings/{meeting_id}/replay/room", meeting(PREPARERS)),
    Rule("GET /api/meetings/{meeting_id}/replay/room", meeting(PREPARERS, outsider=OK),
         case="the outsider an inspector of the body",
         note="an account of the body a body admin named (`PUT /api/inspectors/{user_id}`)"),
    Rule("GET /api/meetings/{meeting_id}/replay.pdf", meeting(PREPARERS)),
    Rule("POST /api/meetings/{meeting_id}/copy", meeting(("body_admin",)),
         note="admins and preparers (`can_prepare`) of the meeting's body who see it; "
              "the participants here have no body role"),
    # Search and directory.
    Rule("GET /api/search", users(USERS)),
    Rule("GET /api/search", listing(VIEWERS), case="finds a meeting's title"),
    Rule("GET /api/search", listing(READERS), case="finds approved minutes",
         note="the display may not read the minutes or the notice, nor find them"),
    Rule("GET /api/search", listing(READERS), case="finds a conclusion notice",
         note="the display may not read the minutes or the notice, nor find them"),
    Rule("GET /api/search", listing(VIEWERS), case="finds a poll question",
         note="body admins are refused the poll routes, but find the question here and the"
              " results in `export.zip` and the minutes draft"),
    Rule("GET /api/users", users(("preparer", "admin", "other_admin"))),
    Rule("GET /api/users", {"anon": 401, "plain": 403, "preparer": FOUND, "admin": FOUND,
                            "other_admin": HIDDEN}, case="finds a user of this body",
         note="a body's own people and those of the caller's meetings; login names and body"
              " roles only to the body's admins"),
    Rule("POST /api/users", users(("admin", "other_admin")), note="in the caller's own body"),
    Rule("PATCH /api/users/{user_id}", users(("admin",), other_admin=404),
         note="a user of the admin's own body; another body's user is 404"),
    Rule("PATCH /api/users/{user_id}", users(("admin",), other_admin=404),
         case="password reset", note="a user of the admin's own body; another body's user is 404"),
    Rule("PATCH /api/users/{user_id}", users(("admin",), other_admin=404),
         case="reactivate", note="a user of the admin's own body; another body's user is 404"),
    Rule("PATCH /api/users/{user_id}", users(("admin",), other_admin=404),
         case="a display account moved to another room",
         note="only display accounts carry a room; rooms of the admin's own body"),
    Rule("POST /api/users/{user_id}/password", users(("admin",), other_admin=404),
         note="the server makes the password and answers it once; not the admin's own"),
    Rule("GET /api/body", users(USERS)),
    Rule("GET /api/bodies", users(("admin",)),
         note="site admins only (`users.is_site_admin`, set by the operator): the *admin*"
              " column is one; an *admin of another body* is a body's admin without it"),
    Rule("POST /api/bodies", users(("admin",)),
         note="site admins only: a new body and its first admin; audited"),
    Rule("PATCH /api/body", users(("admin", "other_admin")), note="the caller's own body"),
    Rule("GET /api/rooms", users(USERS)),
    Rule("POST /api/rooms", users(("admin", "other_admin"))),
    Rule("GET /api/display/now", users(()),
         note="a display account of a room only (`users.room_id`); people get 403"),
    Rule("PATCH /api/rooms/{room_id}", users(("admin",), other_admin=404), note=OWN_BODY),
    Rule("POST /api/rooms/{room_id}/displays", users(("admin",), other_admin=404), note=OWN_BODY),
    Rule("GET /api/units", users(USERS), note="the caller's own body"),
    Rule("POST /api/units", users(("admin", "other_admin")), note="in the caller's own body"),
    Rule("PATCH /api/units/{unit_id}", users(("admin",), other_admin=404), note=OWN_BODY),
    Rule("DELETE /api/units/{unit_id}", users(("admin",), other_admin=404), note=OWN_BODY),
    Rule("GET /api/groups", users(("admin", "other_admin")), note="the caller's own body"),
    Rule("POST /api/groups", users(("admin", "other_admin")),
         note="people of the caller's own body"),
    Rule("PATCH /api/groups/{group_id}", users(("admin",), other_admin=404), note=OWN_BODY),
    Rule("DELETE /api/groups/{group_id}", users(("admin",), other_admin=404), note=OWN_BODY),
    Rule("GET /api/inspectors", users(("admin", "other_admin")),
         note="the inspectors of the caller's own body"),
    Rule("PUT /api/inspectors/{user_id}", users(("admin",), other_admin=404),
         note="a person of the admin's own body; another body's is 404"),
    Rule("DELETE /api/inspectors/{user_id}", users(("admin",), other_admin=404),
         note="a person of the admin's own body; another body's is 404"),
    Rule("GET /api/retention", users(("admin", "other_admin")),
         note="the archived meetings of the caller's own body past its retention; read-only"),
    Rule("GET /api/holidays", users(USERS)),
    Rule("POST /api/holidays", users(("admin", "other_admin"))),
    Rule("DELETE /api/holidays/{day}", users(("admin",), other_admin=404),
         note="a day off of this body; another body's admin gets 404"),
    # Written opinions between meetings.
    *(
        Rule("GET /api/opinions", opinion(OPINION_ROLES[1:])),
        Rule("GET /api/opinions", opinion_listing(("member", "opinion_chair", "preparer",
                                                   "admin")), case="lists a sent request"),
        Rule("GET /api/opinions", opinion_listing(("opinion_chair", "preparer", "admin")),
             case="lists a draft", note="members see a request once it is sent"),
        Rule("POST /api/opinions", opinion(("preparer", "admin", "other_admin")),
             note="the office: preparers (`can_prepare`) and admins, in their own body"),
        Rule(f"GET {OP}", opinion(OPINION_READERS), case="sent",
             note="members see their own answer; others' only once the summary is issued"),
        Rule(f"GET {OP}", opinion(("opinion_chair", "preparer", "admin")), case="draft",
             note="members see a request once it is sent"),
        Rule(f"PATCH {OP}", opinion(OFFICE), case="draft",
             note="a draft only; once sent, 409 for the office"),
        Rule(f"POST {OP}/documents", opinion(OFFICE), case="draft",
             note="a draft only; once sent, 409 for the office"),
        Rule(f"DELETE {OP}/documents/{{document_id}}", opinion(OFFICE), case="draft",
             note="a draft only; once sent, 409 for the office"),
        Rule(f"POST {OP}/send", opinion(OFFICE), case="draft"),
        Rule(f"GET {OP}/documents/{{document_id}}/pages/{{page_no}}",
             opinion(OPINION_READERS), case="sent"),
        Rule(f"PUT {OP}/answer", opinion(("member",)), case="sent",
             note="until the deadline and the summary's issue; then 409"),
        Rule(f"GET {OP}/summary", opinion(("opinion_chair", "preparer", "admin")),
             case="sent", note="members see the summary once it is issued"),
        Rule(f"GET {OP}/summary", opinion(OPINION_READERS), case="issued"),
        Rule(f"PUT {OP}/summary", opinion(OFFICE), case="sent"),
        Rule(f"POST {OP}/summary/issue", opinion(OFFICE), case="sent, everyone answered",
             note="after the deadline, or once every member has answered every question"),
        Rule(f"GET {OP}/summary.pdf", opinion(OPINION_READERS), case="issued"),
        Rule("GET /api/search", opinion_listing(OPINION_READERS),
             case="finds an issued summary of opinions"),
    ),
    # PINs and the laptops of a room (domain/pin.py).
    Rule("GET /api/me/pin", users(USERS), note="whether the caller has a PIN, and if it is locked"),
    Rule("PUT /api/me/pin", users(USERS), note="the caller's own PIN, with their current password"),
    Rule("DELETE /api/me/pin", users(USERS), note="the caller's own PIN"),
    Rule("POST /api/login/pin", anyone(**dict.fromkeys(GLOBAL_ROLES, 403)),
         case="a laptop not registered to a room",
         note="whoever calls: the laptop, not a session, is what a PIN needs"),
    Rule("POST /api/login/pin", anyone(), case="a room's laptop, a person invited there today",
         note="the PIN of someone invited to a meeting in the laptop's room today; audited"),
    Rule("GET /api/room-device", anyone(),
         note="no session needed; today's people of the room (names) only to the room's"
              " registered laptops on its networks"),
    Rule("GET /api/rooms/{room_id}/devices", users(("admin",), other_admin=404), note=OWN_BODY),
    Rule("POST /api/rooms/{room_id}/devices", users(("admin",), other_admin=404),
         note=OWN_BODY + "; registers the caller's own browser; audited"),
    Rule("DELETE /api/rooms/{room_id}/devices/{device_id}", users(("admin",), other_admin=404),
         note=OWN_BODY + "; audited"),
    # Tasks from the conclusion notice (collab_server/transport/tasks.py).
    Rule("GET /api/meetings/{meeting_id}/tasks/proposed", meeting(("secretary", "body_admin")),
         note="the items of the issued notice, for the office to adjust"),
    Rule("POST /api/meetings/{meeting_id}/tasks", meeting(("secretary", "body_admin")),
         note="tasks of the notice's items, to units and people of the meeting's body"),
    Rule("GET /api/tasks", users(USERS),
         note="the board: the office (admins, preparers) sees the body's tasks; others their"
              " own, their unit's and those of meetings they chair or keep the minutes of"),
    Rule("GET /api/tasks", {"anon": 401, "plain": HIDDEN, "preparer": FOUND, "admin": FOUND,
                            "other_admin": HIDDEN}, case="lists a task of another person"),
    Rule("POST /api/tasks", users(("preparer", "admin", "other_admin")),
         note="a task by hand, in the caller's own body"),
    Rule("GET /api/tasks/report.csv", users(("preparer", "admin", "other_admin")),
         note=REPORT),
    Rule("GET /api/tasks/report.pdf", users(("preparer", "admin", "other_admin")),
         note=REPORT),
    Rule("GET /api/tasks/{task_id}", users(("plain", "preparer", "admin"), other_admin=404),
         note=TASK),
    Rule("POST /api/tasks/{task_id}/actions", users(("plain",), other_admin=404),
         case="progress", note=RESPONSIBLE),
    Rule("POST /api/tasks/{task_id}/actions", users(("plain",), other_admin=404),
         case="done, with a report", note=RESPONSIBLE),
    Rule("POST /api/tasks/{task_id}/actions", users(("plain",), other_admin=404),
         case="extension asked", note=RESPONSIBLE),
    Rule("POST /api/tasks/{task_id}/actions", users(("preparer", "admin"), other_admin=404),
         case="extension granted", note=TASK_OFFICE),
    Rule("POST /api/tasks/{task_id}/actions", users(("preparer", "admin"), other_admin=404),
         case="extension refused", note=TASK_OFFICE),
    Rule("POST /api/tasks/{task_id}/actions", users(("preparer", "admin"), other_admin=404),
         case="a report reopened", note=TASK_OFFICE),
    Rule("POST /api/tasks/{task_id}/attachments", users(("plain",), other_admin=404),
         note=RESPONSIBLE),
    Rule("GET /api/tasks/{task_id}/attachments/{attachment_id}",
         users(("plain", "preparer", "admin"), other_admin=404), note=TASK),
    # Notifications (docs/notifications.md).
    Rule("GET /api/me/notifications", users(USERS),
         note="the caller's own channels and addresses; a display account gets 403"),
    Rule("PUT /api/me/notifications", users(USERS),
         note="the caller's own; a display account gets 403; audited without the addresses"),
    Rule("GET /api/users/{user_id}/notifications", users(("admin",), other_admin=404),
         note="a person of the admin's own body; another body's, or a display account, is 404"),
    Rule("PUT /api/users/{user_id}/notifications", users(("admin",), other_admin=404),
         note="a person of the admin's own body; audited as the admin's, without the addresses"),
    Rule("GET /api/notifications", users(("admin", "other_admin")),
         note="the outbox of the admin's own body's people: subjects and states, never an"
              " address or a message's text"),
    Rule("POST /api/notifications/{notification_id}/retry", users(("admin",), other_admin=404),
         note="a notification of the admin's own body's people; another body's is 404"),
    # The clients' files.
    Rule("GET /display", anyone(**dict.fromkeys(GLOBAL_ROLES, 308)), note="redirect to /display/"),
    Rule("MOUNT /display", anyone(), note="static files: never 401/403 (404 until built)"),
    Rule("MOUNT /", anyone(), note="static files: never 401/403 (404 until built)"),
)

# -- the websocket --------------------------------------------------------------------------

WS = "WS /ws/{path:path}"

SOCKETS: tuple[Rule, ...] = (
    Rule(WS, socket(PARTICIPANTS), case="room: connect"),
    Rule(WS, socket(), case="room: write", note="the server alone writes the room"),
    Rule(WS, socket(PARTICIPANTS), case="ink: connect"),
    Rule(WS, socket(("chair",)), case="ink: write, nobody named"),
    Rule(WS, socket(("delegate",)), case="ink: write, the delegate presents"),
    Rule(WS, socket(NOTE_TAKERS), case="inbox: connect"),
    Rule(WS, socket(NOTE_TAKERS), case="notes/{document}: connect", note="the caller's own"),
    Rule(WS, socket(NOTE_TAKERS), case="notes/{document}: write"),
    Rule(WS, socket(PREPARERS), case="minutes: connect"),
    Rule(WS, socket(SIGNERS), case="minutes: write", note="until archived"),
)

# -- intents --------------------------------------------------------------------------------

INTENTS: tuple[Rule, ...] = (
    Rule("session.open", live(("chair",)), note="session not_started"),
    Rule("session.open", live(chair="conflict"), case="draft meeting",
         note="nothing live happens in a draft meeting"),
    Rule("session.open", live(chair="conflict"), case="meeting archived over HTTP",
         note="intents check the meeting's status as well as the session's state"),
    Rule("session.open", live(chair="too_early"), case="a day early, unconfirmed",
         note="`early: true` opens it (the chair confirmed in a dialog)"),
    Rule("session.open", live(("chair",)), case="a day early, confirmed"),
    Rule("session.suspend", live(("chair",)), note="session open"),
    Rule("session.resume", live(("chair",)), note="session suspended"),
    Rule("session.close", live(("chair",)), note="session open, no poll open"),
    Rule("agenda.goto", live(("chair",))),
    Rule("display.message", live(SIGNERS)),
    Rule("display.countdown", live(SIGNERS)),
    Rule("display.checkin_qr", live(SIGNERS)),
    Rule("presenter.set", live(("chair",))),
    Rule("present.page", live(("chair",)), case="nobody named"),
    Rule("present.page", live(("chair", "delegate")), case="the delegate presents"),
    Rule("attendance.check_in", live(NOTE_TAKERS)),
    Rule("attendance.check_in", live(display="forbidden", guest="too_early",
                                     delegate="too_early", secretary="too_early",
                                     chair="too_early"), case="a day early",
         note="check-in opens an hour before the start (or when the session opens)"),
    Rule("attendance.check_in", live(NOTE_TAKERS), case="with the room code"),
    Rule("attendance.mark", live(SIGNERS)),
    Rule("speaker.request", live(NOTE_TAKERS), note="session open"),
    Rule("speaker.withdraw", live(("chair",)), case="another's request"),
    Rule("speaker.withdraw", live(NOTE_TAKERS, display="not_found"), case="own request",
         note="the display never has a request"),
    Rule("speaker.reorder", live(("chair",))),
    Rule("speaker.grant", live(("chair",))),
    Rule("speaker.extend", live(("chair",)), note="someone has the floor"),
    Rule("agenda.speech_limit", live(("chair",))),
    Rule("speaker.end", live(("chair",)), case="another's speech"),
    Rule("speaker.end", live(NOTE_TAKERS), case="own speech"),
    Rule("poll.open", live(("chair",)), note="session open"),
    Rule("poll.open", live(("chair",)), case="ending over HTTP refused while the session is open",
         note="`POST .../status` ended answers 409 while the session is open: the chair"
              " closes it in the room, so the room and the meeting never disagree"),
    Rule("vote.cast", live(MEMBERS),
         note="members, checked in, poll open; guests and the secretary checked in too"),
    Rule("poll.close", live(("chair",))),
    Rule("poll.cancel", live(("chair",))),
    Rule("proxy.request", live(MEMBERS), note="`allow_proxy` on (else 409 for everyone)"),
    Rule("proxy.decide", live(("chair",)), note="a pending request"),
    Rule("proxy.withdraw", live(MEMBERS, guest="not_found", secretary="not_found",
                                display="not_found"),
         note="the member who asked; others have no proxy to withdraw"),
    Rule("message.send", live(NOTE_TAKERS)),
    Rule("message.reply", live(("secretary",), chair="not_found"), case="sent to the secretary",
         note="the chair's inbox does not hold it"),
    Rule("message.reply", live(("chair",), secretary="not_found"), case="sent to the chair"),
    Rule("message.read", live(NOTE_TAKERS), note="the caller's own read marker"),
)

RULES: tuple[Rule, ...] = (*HTTP, *SOCKETS, *INTENTS)


# -- docs/authorization.md ------------------------------------------------------------------


def _cell(rule: Rule, role: str) -> str:
    expected = rule.expect[role]
    text = {OK: "✓", FOUND: "found", HIDDEN: "—"}.get(str(expected), str(expected))
    if role in rule.today:
        text += f" (now {rule.today[role]})"
    return text


def _table(rules: Iterable[Rule], columns: tuple[str, ...], first: str) -> list[str]:
    lines = [f"| {first} | " + " | ".join(LABELS[c] for c in columns) + " |",
             "|---|" + "---|" * len(columns)]
    notes: list[str] = []
    for rule in rules:
        label = f"`{rule.key}`" if rule.key != WS else ""
        if rule.case:
            label = f"{label} {rule.case}".strip()
        if rule.note:
            if rule.note not in notes:
                notes.append(rule.note)
            label += f" [{notes.index(rule.note) + 1}]"
        lines.append(f"| {label} | " + " | ".join(_cell(rule, c) for c in columns) + " |")
    lines.append("")
    lines.extend(f"{n}. {note}" for n, note in enumerate(notes, start=1))
    return lines


def render() -> str:
    meeting_http = [r for r in HTTP if r.scope == "meeting" and MISSING in r.expect]
    listings = [r for r in HTTP if r.scope == "meeting" and MISSING not in r.expect]
    global_http = [r for r in HTTP if r.scope == "global"]
    opinion_http = [r for r in HTTP if r.scope == "opinion"]
    # Grouped by why: a missing id is always the document ids' story.
    deviations: dict[str, list[str]] = {}
    for rule in RULES:
        for role in rule.columns:
            if role in rule.today:
                why = DOCUMENT_IDS if role == MISSING else rule.note
                deviations.setdefault(why, []).append(
                    f"{rule.label}, {LABELS[role]}: {rule.today[role]} (rule: "
                    f"{rule.expect[role]})")
    out = [
        "# Who may do what",
        "",
        "<!-- Generated from tests/authorization_matrix.py:"
        " .venv/bin/python -m tests.authorization_matrix > docs/authorization.md -->",
        "",
        "Every HTTP route, the websocket and every intent of the live session,",
        "against every kind of caller. `tests/test_authorization.py` plays each",
        "cell against a real server and fails when a route or intent has no row.",
        "",
        "Callers: *no session*; *another body*: an admin and preparer of another",
        "body; *another meeting*: a delegate of another meeting of the same body;",
        "*outsider*: a user of the same body with no role in the meeting; the five",
        "meeting roles (their users have no body role); *body admin*: an admin of the",
        "meeting's body who takes no part in it. Outside meetings: *plain user*,",
        "*preparer* (`can_prepare`), *admin* (`is_admin`) and an *admin of another",
        "body* acting on this body's things. *No such id*: an outsider asking for a",
        "meeting, document or poll id that does not exist.",
        "",
        "✓ allowed (2xx; an intent's `ok`; the socket opens or the write is",
        "accepted); a number is the HTTP status or the websocket close code; a word",
        "is the intent's error code. *(now X)*: the server answers X today where",
        "the rule says otherwise (see the end of the page).",
        "",
        "## Routes of a meeting",
        "",
        *_table(meeting_http, meeting_http[0].columns, "route"),
        "",
        "## What lists and search show",
        "",
        "Whether the prepared meeting (or the ended meeting's minutes, notice or",
        "poll) appears in the caller's results.",
        "",
        *_table(listings, MEETING_ROLES, "route"),
        "",
        "## Routes outside a meeting",
        "",
        *_table(global_http, GLOBAL_ROLES, "route"),
        "",
        "## Written opinions",
        "",
        "A request for written opinions of the body (transport/opinion_access.py), sent",
        "or still a draft. *Member asked* and *its chair* have no body role;",
        "*preparer* and *admin* are the body's office; *plain user*: someone of the",
        "body not asked. Listing rows: whether the request (or its issued",
        "summary) appears in the caller's results.",
        "",
        *_table(opinion_http, OPINION_ROLES, "route"),
        "",
        f"## Live documents (`{WS.split(' ', 1)[1]}`)",
        "",
        "Connecting to `meeting/{id}/…`, and writing a CRDT update to it: a",
        "refused write is answered with `AUTH` permission denied and close 4403.",
        "",
        *_table(SOCKETS, MEETING_ROLES, "document"),
        "",
        "## Intents",
        "",
        "Sent on the room socket, each in a state where the allowed roles succeed;",
        "a refused intent changes nothing (no room update, no event). Who cannot",
        "open the room socket never reaches an intent (close 4401 or 4403).",
        "",
        *_table(INTENTS, MEETING_ROLES, "intent"),
        "",
        "## Where the server differs from the rule today",
        "",
    ]
    if not deviations:
        out.append("Nowhere.")
    for why, cells in deviations.items():
        out.append(f"- {why[0].upper()}{why[1:]}:")
        out.extend(f"  - {cell}" for cell in cells)
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
