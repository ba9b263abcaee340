"""Demo data: one body, one room, one meeting with a five-item agenda and
the people of a full room. Passwords are random per data folder (demo only)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from collab_server.storage.accounts import Accounts, hash_password

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi"]
MIDDLE = ["Văn", "Thị", "Minh", "Thanh", "Quốc", "Ngọc", "Đức", "Thu", "Hữu", "Bảo"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Hương", "Khánh",
         "Lan", "Linh", "Long", "Mai", "Nam", "Ngân", "Phúc", "Quân", "Sơn", "Tâm", "Thảo",
         "Trang", "Tuấn", "Việt", "Yến", "Ánh", "Đạt", "Ủy", "Thủy"]
UNITS = ["Sở Tài chính", "Sở Kế hoạch và Đầu tư", "Sở Nội vụ", "Sở Tư pháp",
         "Sở Xây dựng", "Sở Y tế", "Sở Giáo dục và Đào tạo", "Văn phòng UBND tỉnh"]

AGENDA = [
    ("Khai mạc, thông qua chương trình phiên họp", "Chủ tọa", 10),
    ("Báo cáo tình hình kinh tế - xã hội tháng 11 năm 2026", "Sở Kế hoạch và Đầu tư", 30),
    ("Tờ trình dự thảo Nghị quyết về dự toán ngân sách năm 2027", "Sở Tài chính", 45),
    ("Đề án triển khai phòng họp không giấy giai đoạn 2027-2030", "Văn phòng UBND tỉnh", 30),
    ("Kết luận của Chủ tọa, bế mạc", "Chủ tọa", 15),
]
DOCUMENTS = [
    ("Báo cáo tình hình kinh tế - xã hội tháng 11", 12),
    ("Tờ trình dự toán ngân sách năm 2027", 24),
    ("Đề án phòng họp không giấy", 18),
]


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
            "INSERT INTO bodies (code, name) VALUES ('ubnd-demo', 'Ủy ban nhân dân tỉnh (demo)')"
            " RETURNING id"
        )
        room_id = await conn.fetchval(
            "INSERT INTO rooms (body_id, name, seats) VALUES ($1, 'Phòng họp số 1', 92)"
            " RETURNING id",
            body,
        )
        meeting = await conn.fetchval(
            "INSERT INTO meetings (body_id, room_id, title, kind, starts_at, status)"
            " VALUES ($1, $2, $3, 'regular', $4, 'invited') RETURNING id",
            body,
            room_id,
            "Phiên họp thường kỳ tháng 12 năm 2026 của UBND tỉnh",
            starts,
        )
        for position, (title, presenter, minutes) in enumerate(AGENDA, start=1):
            await conn.execute(
                "INSERT INTO agenda_items (meeting_id, position, title, presenter, duration_min)"
                " VALUES ($1, $2, $3, $4, $5)",
                meeting, position, title, presenter, minutes,
            )
        for title, pages in DOCUMENTS:
            await conn.execute(
                "INSERT INTO documents (meeting_id, title, page_count) VALUES ($1, $2, $3)",
                meeting, title, pages,
            )

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
        await add("chutoa", "Trần Quốc Hưng", passwords["chutoa"], "chair",
                  "Chủ tịch UBND tỉnh", "UBND tỉnh")
        await add("thuky", "Lê Thị Thu Hà", passwords["thuky"], "secretary",
                  "Chuyên viên", "Văn phòng UBND tỉnh")
        await add("manhinh", "Màn hình phòng họp số 1", passwords["manhinh"], "display")
        # The delegates share one demo password: hash it once, not ninety times.
        shared = hash_password(passwords["delegateNN"])
        for i in range(1, 91):
            await add(f"delegate{i:02d}", person(i), passwords["delegateNN"], "delegate",
                      "Đại biểu", UNITS[i % len(UNITS)], hashed=shared)
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
    )
