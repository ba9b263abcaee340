"""The calendar file (RFC 5545 / iTIP RFC 5546) sent with a meeting's e-mail:
METHOD:REQUEST to put it in the invitee's calendar, again with a higher
SEQUENCE when its time or place changes, METHOD:CANCEL to take it out.

The UID is the meeting's, stable for its whole life, so each file updates the
same calendar entry. Times are written in UTC (a "Z" time needs no
VTIMEZONE and every calendar shows it in the reader's own zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//Phong hop khong giay//phonghop//VI"
# A meeting without an end time shows as this long.
DEFAULT_LENGTH = timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class MeetingEntry:
    uid: str
    sequence: int
    title: str
    starts_at: datetime
    ends_at: datetime | None
    location: str
    link: str
    organizer_email: str
    organizer_name: str


def entry(entry: MeetingEntry, *, method: str, attendee_email: str = "",
          attendee_name: str = "") -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", entry.uid)
    event.add("sequence", entry.sequence)
    event.add("dtstamp", datetime.now(UTC).replace(microsecond=0))
    start = entry.starts_at.astimezone(UTC)
    event.add("dtstart", start)
    event.add("dtend", (entry.ends_at or entry.starts_at + DEFAULT_LENGTH).astimezone(UTC))
    event.add("summary", entry.title)
    if entry.location:
        event.add("location", entry.location)
    if entry.link:
        event.add("url", entry.link)
        event.add("description", f"Xem chi tiết trong hệ thống phòng họp: {entry.link}")
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    if entry.organizer_email:
        organizer = vCalAddress(f"mailto:{entry.organizer_email}")
        organizer.params["cn"] = vText(entry.organizer_name)
        event["organizer"] = organizer
    if attendee_email:
        attendee = vCalAddress(f"mailto:{attendee_email}")
        attendee.params["cn"] = vText(attendee_name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("NEEDS-ACTION")
        attendee.params["rsvp"] = vText("FALSE")
        event.add("attendee", attendee, encode=False)
    cal.add_component(event)
    data: bytes = cal.to_ical()
    return data
