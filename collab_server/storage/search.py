"""Full-text search over what a person may see, insensitive to diacritics.

Text is folded (lowercase, no diacritics, đ → d) in Python when stored and
when searched, and indexed with PostgreSQL's 'simple' configuration, so
"quang binh" and "Quảng Bình" meet on the same lexemes.

Page text is found only where reading it would be allowed without a
watermark: pages of confidential documents and of documents marked MẬT or
above never match (their titles still do), so a search cannot read them word
by word. Hits on internal pages carry `confidentiality`, so the caller audits
each as a view of that page's text.
"""

from __future__ import annotations

import re
from typing import Any

import asyncpg

_WORD = re.compile(r"[0-9a-z]+")

# A room's display account takes part by its room, not by a list
# (storage/meetings.py): it searches nothing, even where a list names it.
_LISTED = ("EXISTS (SELECT 1 FROM meeting_participants p JOIN users l ON l.id = p.user_id"
           " WHERE p.meeting_id = m.id AND p.user_id = $1 AND l.room_id IS NULL")

_VISIBLE = (
    f"SELECT m.id FROM meetings m WHERE {_LISTED}) OR EXISTS (SELECT 1 FROM users u"
    " WHERE u.id = $1 AND u.is_admin AND u.body_id = m.body_id)"
)

# Minutes and conclusion notices are read by people, not by the projector.
_READERS = (
    f"SELECT m.id FROM meetings m WHERE {_LISTED} AND p.role <> 'display') OR EXISTS"
    " (SELECT 1 FROM users u WHERE u.id = $1 AND u.is_admin AND u.body_id = m.body_id)"
)

_SQL = f"""
WITH visible AS ({_VISIBLE}), readers AS ({_READERS}), q AS (SELECT to_tsquery('simple', $2) AS q)
SELECT * FROM (
  SELECT 'meeting' AS kind, m.id AS meeting_id, NULL::bigint AS document_id,
         NULL::int AS page, NULL::bigint AS item_id, m.title AS title, m.title AS text,
         ts_rank(to_tsvector('simple', m.title_folded), q.q) * 2 AS rank,
         NULL::text AS confidentiality
    FROM meetings m JOIN visible v ON v.id = m.id, q
   WHERE to_tsvector('simple', m.title_folded) @@ q.q
  UNION ALL
  SELECT 'agenda_item', a.meeting_id, NULL, NULL, a.id, a.title, a.title,
         ts_rank(to_tsvector('simple', a.title_folded), q.q) * 1.5, NULL
    FROM agenda_items a JOIN visible v ON v.id = a.meeting_id, q
   WHERE to_tsvector('simple', a.title_folded) @@ q.q
  UNION ALL
  SELECT 'document', d.meeting_id, d.id, NULL, NULL, d.title, d.title,
         ts_rank(to_tsvector('simple', d.title_folded), q.q) * 1.5, NULL
    FROM documents d JOIN visible v ON v.id = d.meeting_id, q
   WHERE to_tsvector('simple', d.title_folded) @@ q.q
  UNION ALL
  SELECT 'page', d.meeting_id, d.id, p.page_no, NULL, d.title, p.text,
         ts_rank(p.search, q.q), d.confidentiality
    FROM document_pages p JOIN documents d ON d.id = p.document_id
    JOIN visible v ON v.id = d.meeting_id, q
   WHERE p.search @@ q.q AND d.confidentiality <> 'confidential' AND d.secrecy = 'none'
  UNION ALL
  SELECT 'minutes', n.meeting_id, NULL, NULL, NULL, mt.title, n.text,
         ts_rank(n.search, q.q) * 1.2, NULL
    FROM minutes_versions n JOIN meetings mt ON mt.id = n.meeting_id
    JOIN readers v ON v.id = n.meeting_id, q
   WHERE n.search @@ q.q
     AND n.version = (SELECT max(l.version) FROM minutes_versions l
                       WHERE l.meeting_id = n.meeting_id)
  UNION ALL
  SELECT 'poll', pl.meeting_id, NULL, NULL, pl.item_id, pl.question, pl.question,
         ts_rank(to_tsvector('simple', pl.question_folded), q.q) * 1.5, NULL
    FROM polls pl JOIN visible v ON v.id = pl.meeting_id, q
   WHERE pl.status <> 'cancelled' AND to_tsvector('simple', pl.question_folded) @@ q.q
  UNION ALL
  SELECT 'conclusion', cn.meeting_id, NULL, NULL, NULL, mc.title, cn.text,
         ts_rank(cn.search, q.q) * 1.2, NULL
    FROM conclusion_notices cn JOIN meetings mc ON mc.id = cn.meeting_id
    JOIN readers v ON v.id = cn.meeting_id, q
   WHERE cn.search @@ q.q
     AND cn.version = (SELECT max(l.version) FROM conclusion_notices l
                        WHERE l.meeting_id = cn.meeting_id)
) hits
WHERE $3::bigint IS NULL OR meeting_id = $3
ORDER BY rank DESC, meeting_id DESC, document_id, page
LIMIT $4
"""


def tsquery(folded_terms: list[str]) -> str | None:
    """Every word must match; the last may be a prefix (search as you type)."""
    words = [w for term in folded_terms for w in _WORD.findall(term)]
    if not words:
        return None
    return " & ".join(words[:-1] + [f"{words[-1]}:*"])


class PgSearch:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def search(
        self, user_id: int, folded_terms: list[str], *, meeting_id: int | None, limit: int
    ) -> list[dict[str, Any]]:
        query = tsquery(folded_terms)
        if query is None:
            return []
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(_SQL, user_id, query, meeting_id, limit)
        return [dict(r) for r in rows]
