"""Demo data: one body, one room, one meeting with a five-item agenda and
the people of a full room, and the deputy heads of its units who are not
invited (whom a delegate may send in their place). Passwords are random per
data folder (demo only)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from collab_server import demo_opinions
from collab_server.documents.ingest import ingest_pdf
from collab_server.documents.text import fold
from collab_server.storage.accounts import Accounts, hash_password
from collab_server.storage.documents import NewDocument, PgDocuments

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi"]
MIDDLE = ["Văn", "Thị", "Minh", "Thanh", "Quốc", "Ngọc", "Đức", "Thu", "Hữu", "Bảo"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Hương", "Khánh",
         "Lan", "Linh", "Long", "Mai", "Nam", "Ngân", "Phúc", "Quân", "Sơn", "Tâm", "Thảo",
         "Trang", "Tuấn", "Việt", "Yến", "Ánh", "Đạt", "Ủy", "Thủy"]
UNITS = ["Sở Tài chính", "Sở Kế hoạch và Đầu tư", "Sở Nội vụ", "Sở Tư pháp",
         "Sở Xây dựng", "Sở Y tế", "Sở Giáo dục và Đào tạo", "Văn phòng UBND tỉnh"]

# Deputy heads of the units, not invited: the people a delegate may send.
DEPUTIES = [("Phó Giám đốc " + u if u.startswith("Sở") else "Phó Chánh " + u, u) for u in UNITS]

MEETING_TITLE = "Phiên họp thường kỳ tháng 12 năm 2026 của UBND tỉnh"
AGENDA = [
    ("Khai mạc, thông qua chương trình phiên họp", "Chủ tọa", 10),
    ("Báo cáo tình hình kinh tế - xã hội tháng 11 năm 2026", "Sở Kế hoạch và Đầu tư", 30),
    ("Tờ trình dự thảo Nghị quyết về dự toán ngân sách năm 2027", "Sở Tài chính", 45),
    ("Đề án triển khai phòng họp không giấy giai đoạn 2027-2030", "Văn phòng UBND tỉnh", 30),
    ("Kết luận của Chủ tọa, bế mạc", "Chủ tọa", 15),
]
# Title, agenda position, pages, confidentiality.
DOCUMENTS = [
    ("Báo cáo tình hình kinh tế - xã hội tháng 11", 2, 12, "public"),
    ("Tờ trình dự toán ngân sách năm 2027", 3, 24, "internal"),
    ("Đề án phòng họp không giấy", 4, 18, "internal"),
]
PARAGRAPHS = [
    "Thực hiện Nghị quyết của Hội đồng nhân dân tỉnh, Ủy ban nhân dân tỉnh đã chỉ đạo các "
    "sở, ban, ngành và Ủy ban nhân dân các huyện, thị xã, thành phố triển khai đồng bộ các "
    "giải pháp phát triển kinh tế - xã hội.",
    "Tổng sản phẩm trên địa bàn ước tăng 7,2% so với cùng kỳ; thu ngân sách nhà nước đạt "
    "92,5% dự toán; giải ngân vốn đầu tư công đạt 78,4% kế hoạch vốn được giao.",
    "Đề nghị các đại biểu nghiên cứu, cho ý kiến về các chỉ tiêu chủ yếu, nhiệm vụ trọng tâm "
    "và các giải pháp điều hành ngân sách năm 2027.",
    "Việc ứng dụng phòng họp không giấy giúp tiết kiệm chi phí in ấn, rút ngắn thời gian "
    "chuẩn bị và bảo đảm an toàn, bảo mật thông tin của tài liệu họp.",
]


def demo_pdf(title: str, pages: int) -> bytes:
    """A document of the demo: Vietnamese text on every page, in a font that has
    every Vietnamese letter."""
    import pymupdf

    from collab_server.documents.fonts import font_buffer

    font = font_buffer()
    doc = pymupdf.open()
    for number in range(1, pages + 1):
        page = doc.new_page(width=595, height=842)
        page.insert_font(fontname="vn", fontbuffer=font)
        body = "\n\n".join(PARAGRAPHS[(number + i) % len(PARAGRAPHS)] for i in range(3))
        page.insert_textbox(pymupdf.Rect(70, 60, 540, 140), title.upper(), fontname="vn",
                            fontsize=14, align=1)
        page.insert_textbox(pymupdf.Rect(70, 160, 540, 780), body, fontname="vn", fontsize=12,
                            align=3)
        page.insert_textbox(pymupdf.Rect(70, 790, 540, 810), f"Trang {number}/{pages}",
                            fontname="vn", fontsize=9, align=1)
    return bytes(doc.tobytes(garbage=3, deflate=True))


def person(i: int) -> str:
    family, middle = FAMILY[i % len(FAMILY)], MIDDLE[(i * 7) % len(MIDDLE)]
    return f"{family} {middle} {GIVEN[(i * 13) % len(GIVEN)]}"


async def has_data(conn: asyncpg.Connection) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM bodies)"))


async def seed(pool: asyncpg.Pool, accounts: Accounts) -> dict[str, str]:
    """Create the demo; returns the passwords (see `save`)."""
    passwords = {
        "quantri": secrets.token_urlsafe(9),
        "chutoa": secrets.token_urlsafe(9),
        "thuky": secrets.token_urlsafe(9),
        "manhinh": secrets.token_urlsafe(9),
        "delegateNN": secrets.token_urlsafe(9),
    }
    starts = (datetime.now(UTC) + timedelta(days=1)).replace(hour=1, minute=30, second=0,
                                                             microsecond=0)
    async with pool.acquire() as conn, conn.transaction():
        body = await conn.fetchval(
            "INSERT INTO bodies (code, name, place, short_name, signing_authority, head_title)"
            " VALUES ('ubnd-demo', 'Ủy ban nhân dân tỉnh (demo)', 'Quảng Bình', 'UBND',"
            " 'TM. ỦY BAN NHÂN DÂN', 'CHỦ TỊCH') RETURNING id"
        )
        room_id = await conn.fetchval(
            "INSERT INTO rooms (body_id, name, seats) VALUES ($1, 'Phòng họp số 1', 92)"
            " RETURNING id",
            body,
        )
        meeting = await conn.fetchval(
            "INSERT INTO meetings (body_id, room_id, title, title_folded, kind, starts_at, status,"
            " confidentiality) VALUES ($1, $2, $3, $4, 'regular', $5, 'invited', 'internal')"
            " RETURNING id",
            body,
            room_id,
            MEETING_TITLE,
            fold(MEETING_TITLE),
            starts,
        )
        for position, (title, presenter, minutes) in enumerate(AGENDA, start=1):
            await conn.execute(
                "INSERT INTO agenda_items (meeting_id, position, title, title_folded, presenter,"
                " duration_min) VALUES ($1, $2, $3, $4, $5, $6)",
                meeting, position, title, fold(title), presenter, minutes,
            )
        item_ids = {r["position"]: r["id"] for r in await conn.fetch(
            "SELECT id, position FROM agenda_items WHERE meeting_id = $1", meeting)}

        async def add(username: str, name: str, password: str, role: str | None,
                      title: str = "", unit: str = "", admin: bool = False,
                      hashed: str | None = None) -> None:
            user = await accounts.create_user(body, username, name, password, title=title,
                                              unit=unit, is_admin=admin, conn=conn,
                                              password_hash=hashed)
            if role is not None:
                await conn.execute(
                    "INSERT INTO meeting_participants (meeting_id, user_id, role)"
                    " VALUES ($1, $2, $3)", meeting, user, role,
                )

        await add("quantri", "Quản trị hệ thống", passwords["quantri"], None, admin=True)
        # The demo's admin may also create bodies (transport/bodies.py).
        await conn.execute("UPDATE users SET is_site_admin = true WHERE username = 'quantri'")
        await add("chutoa", "Trần Quốc Hưng", passwords["chutoa"], "chair",
                  "Chủ tịch UBND tỉnh", "UBND tỉnh")
        await add("thuky", "Lê Thị Thu Hà", passwords["thuky"], "secretary",
                  "Chuyên viên", "Văn phòng UBND tỉnh")
        await conn.execute("UPDATE users SET can_prepare = true WHERE username = 'thuky'")
        await add("manhinh", "Màn hình phòng họp số 1", passwords["manhinh"], "display")
        await conn.execute("UPDATE users SET room_id = $1 WHERE username = 'manhinh'", room_id)
        # The delegates share one demo password: hash it once, not ninety times.
        shared = hash_password(passwords["delegateNN"])
        for i in range(1, 91):
            await add(f"delegate{i:02d}", person(i), passwords["delegateNN"], "delegate",
                      "Đại biểu", UNITS[i % len(UNITS)], hashed=shared)
        for i, (title, unit) in enumerate(DEPUTIES, start=1):
            await add(f"phothu{i:02d}", person(100 + i), passwords["delegateNN"], None,
                      title, unit, hashed=shared)
    secretary = await pool.fetchval("SELECT id FROM users WHERE username = 'thuky'")
    documents = PgDocuments(pool)
    for title, position, pages, confidentiality in DOCUMENTS:
        ingested = ingest_pdf(demo_pdf(title, pages))
        await documents.add(NewDocument(
            meeting_id=meeting, title=title, original_name=f"{title}.pdf",
            original_type="application/pdf", original=ingested.pdf, pdf=ingested.pdf,
            pages=[(w, h, t) for (w, h), t in zip(ingested.info.page_sizes, ingested.texts,
                                                  strict=True)],
            confidentiality=confidentiality, secrecy="none", allow_download=False,
            agenda_item_id=item_ids[position], uploaded_by=secretary,
        ))
    chair = await pool.fetchval("SELECT id FROM users WHERE username = 'chutoa'")
    await demo_opinions.seed(pool, body, secretary, chair,
                             demo_pdf(demo_opinions.TITLE, 3))
    return passwords


def save(data_dir: Path, passwords: dict[str, str]) -> None:
    """Keep the demo accounts beside the data, readable by its owner only."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "demo-accounts.txt"
    path.write_text(describe(passwords), encoding="utf-8")
    path.chmod(0o600)


def describe(passwords: dict[str, str]) -> str:
    return (
        "Tài khoản demo (chỉ dùng để thử):\n"
        f"  chủ tọa      chutoa      / {passwords['chutoa']}\n"
        f"  thư ký       thuky       / {passwords['thuky']}\n"
        f"  màn hình     manhinh     / {passwords['manhinh']}\n"
        f"  quản trị     quantri     / {passwords['quantri']}\n"
        f"  đại biểu     delegate01 … delegate90 / {passwords['delegateNN']}\n"
        f"  cấp phó      phothu01 … phothu{len(DEPUTIES):02d} (không được mời; có thể dự thay)"
        f" / {passwords['delegateNN']}\n"
    )
