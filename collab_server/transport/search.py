"""Search across what the caller may see.

A snippet of an internal page is a piece of that page's text: each one
returned is audited exactly as `GET /api/documents/{id}/pages/{n}/text`
would be (`document.text_view`, the document, the page). Confidential and
secret-marked pages are never searched (storage/search.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from collab_server.documents.text import snippet, terms
from collab_server.errors import BadRequest
from collab_server.storage.opinions import PgOpinions
from collab_server.storage.search import tsquery
from collab_server.transport.auth import current_user
from collab_server.transport.http import record
from collab_server.transport.responses import JSONResponse

MAX_RESULTS = 50


async def search(request: Request) -> Response:
    user = await current_user(request)
    query = request.query_params.get("q", "").strip()
    if not query or len(query) > 200:
        raise BadRequest("Nhập từ cần tìm (tối đa 200 ký tự).", "Give 'q' (up to 200 chars).")
    meeting = request.query_params.get("meeting")
    meeting_id = int(meeting) if meeting and meeting.isdigit() and len(meeting) < 18 else None
    rows = await request.app.state.search.search(user.id, terms(query), meeting_id=meeting_id,
                                                 limit=MAX_RESULTS)
    results = []
    for row in rows:
        text = row.pop("text")
        confidentiality = row.pop("confidentiality")
        row["snippet"] = snippet(text, query) or snippet(row["title"], query) or ""
        row["rank"] = round(float(row["rank"]), 4)
        if row["kind"] == "page" and confidentiality != "public":
            await record(request, user, "document.text_view", f"document:{row['document_id']}",
                         page=row["page"])
        results.append(row)
    words = tsquery(terms(query))
    if meeting_id is None and words is not None:
        # Written opinions belong to no meeting: `opinion_id` instead of `meeting_id`.
        for row in await PgOpinions(request.app.state.pool).search(user.id, words, MAX_RESULTS):
            text = row.pop("text")
            results.append({"kind": "opinion", "meeting_id": None, **row,
                            "rank": round(float(row["rank"]), 4),
                            "snippet": snippet(text, query) or snippet(row["title"], query)
                            or ""})
    return JSONResponse({"query": query, "results": results})
