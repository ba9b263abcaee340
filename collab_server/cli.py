"""The `phonghop` command: serve, migrate, demo, create-user, rehearsal, backup..."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

from collab_server import features, logs
from collab_server.config import Settings

log = logging.getLogger("phonghop")


@contextlib.contextmanager
def database(settings: Settings) -> Iterator[str]:
    """DATABASE_URL if given; otherwise an embedded PostgreSQL in the data folder."""
    if settings.database_url:
        yield settings.database_url
        return
    from collab_server.embedded import EmbeddedPostgres

    embedded = EmbeddedPostgres(settings.data_dir)
    uri = embedded.start()
    try:
        yield uri
    finally:
        embedded.stop()


async def _prepare(url: str, settings: Settings, *, demo: bool) -> tuple[str | None, bool]:
    """Migrate, and seed the demo when the database is empty.
    Returns the demo accounts (if known) and whether they were created now."""
    from collab_server import demo as demo_data
    from collab_server.storage import db
    from collab_server.storage.accounts import Accounts

    pool = await db.create_pool(url, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            applied = await db.migrate(conn)
            if applied:
                log.info("migrations applied: %s", ", ".join(applied))
            fresh = not await demo_data.has_data(conn)
        if demo and fresh:
            accounts = Accounts(pool, session_ttl=_ttl(settings))
            passwords = await demo_data.seed(pool, accounts)
            await asyncio.to_thread(demo_data.save, settings.data_dir, passwords)
            return demo_data.describe(passwords), True
    finally:
        await pool.close()
    return (await asyncio.to_thread(_saved_demo, settings.data_dir) if demo else None), False


def _saved_demo(data_dir: Path) -> str | None:
    path = data_dir / "demo-accounts.txt"
    return path.read_text(encoding="utf-8") if path.exists() else None


def _ttl(settings: Settings):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    return timedelta(hours=settings.session_hours)


def _exit_on_sigterm() -> None:
    """uvicorn re-raises SIGTERM after its graceful shutdown; turn it into an
    exception so the embedded PostgreSQL is stopped on the way out."""

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, handler)


def raise_open_files() -> None:
    """Every laptop is a socket: a meeting of 1,000 devices goes past the usual
    soft limit of 1,024 open files. Raise it to the hard limit (workers
    inherit it); systemd's `LimitNOFILE` sets the hard one."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = 65536 if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from collab_server.transport import frames

    _exit_on_sigterm()
    raise_open_files()
    from collab_server.transport.app import WORKER_SETTINGS, client_dist_exists, create_app

    missing = features.check(settings)
    for part in missing:
        log.log(logging.ERROR if part.fatal else logging.WARNING, "missing part",
                extra={"feature": part.feature})
        if part.fatal:
            print(part.message, file=sys.stderr)
    if any(part.fatal for part in missing):
        return 2
    workers = args.workers or 1
    if workers > 1 and not settings.redis_url:
        print("Chạy nhiều tiến trình (--workers) cần REDIS_URL để các tiến trình chia sẻ "
              "phòng họp.", file=sys.stderr)
        return 2
    with database(settings) as url:
        demo_text, _ = asyncio.run(_prepare(url, settings, demo=args.demo))
        app: object = create_app(settings, url)
        if workers > 1:
            # Workers are separate processes: they rebuild the app from these settings.
            settings.database_url = url
            os.environ[WORKER_SETTINGS] = settings.to_json()
            app = "collab_server.transport.app:app_from_env"
        base = f"http://{settings.host}:{settings.port}"
        banner = [f"Phòng họp không giấy đang chạy tại {base}/"]
        if not client_dist_exists(settings.clients_dir):
            banner.append("(chưa có giao diện web: chạy `make clients` để dựng)")
        banner.append(f"Màn hình trình chiếu: {base}/display/")
        banner += [part.message for part in missing]
        if demo_text:
            banner.append(demo_text)
        print("\n".join(banner), flush=True)
        uvicorn.run(
            app,  # type: ignore[arg-type]
            factory=workers > 1,
            workers=workers,
            host=settings.host,
            port=settings.port,
            loop="uvloop" if sys.platform != "win32" else "asyncio",
            ws_max_size=settings.max_frame_bytes * 4 + 65536,
            ws_ping_interval=settings.ping_interval_s,
            ws_ping_timeout=settings.ping_timeout_s,
            # Frames are small CRDT updates; compressing each costs more CPU than it saves.
            ws_per_message_deflate=False,
            # uvicorn's websockets protocol, plus writing a room's frame to
            # every socket as the same bytes (transport/frames.py).
            ws=frames.PROTOCOL,
            # Forwarded headers only from the configured proxies (uvicorn would
            # otherwise believe any client on 127.0.0.1, or FORWARDED_ALLOW_IPS).
            proxy_headers=bool(settings.trusted_proxies),
            forwarded_allow_ips=settings.trusted_proxies or "",
            log_config=None,
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=5,
        )
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    with database(settings) as url:
        asyncio.run(_prepare(url, settings, demo=False))
    print("Cơ sở dữ liệu đã ở phiên bản mới nhất.")
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    with database(settings) as url:
        text, created = asyncio.run(_prepare(url, settings, demo=True))
    if not created:
        print("Cơ sở dữ liệu đã có dữ liệu; không tạo lại dữ liệu demo.")
    if text:
        print(text)
    return 0


async def _create_user(url: str, settings: Settings, args: argparse.Namespace, pw: str) -> int:
    from collab_server.storage import db
    from collab_server.storage.accounts import Accounts

    pool = await db.create_pool(url, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await db.migrate(conn)
            body = await conn.fetchval("SELECT id FROM bodies WHERE code = $1", args.body)
            if body is None:
                if not args.body_name:
                    print(f"Không có cơ quan '{args.body}'; thêm --body-name để tạo.",
                          file=sys.stderr)
                    return 2
                body = await conn.fetchval(
                    "INSERT INTO bodies (code, name) VALUES ($1, $2) RETURNING id",
                    args.body, args.body_name,
                )
        accounts = Accounts(pool, session_ttl=_ttl(settings))
        user_id = await accounts.create_user(
            body, args.username, args.full_name, pw, title=args.title, unit=args.unit,
            is_admin=args.admin or args.site_admin,
        )
        if args.site_admin:
            await pool.execute("UPDATE users SET is_site_admin = true WHERE id = $1", user_id)
    finally:
        await pool.close()
    print(f"Đã tạo người dùng {args.username} (id {user_id}).")
    return 0


def cmd_create_user(settings: Settings, args: argparse.Namespace) -> int:
    from collab_server.domain.passwords import WeakPassword, check_password
    from collab_server.domain.usernames import BadUsername, check_username

    try:
        check_username(args.username)
    except BadUsername as exc:
        print(exc.message, file=sys.stderr)
        return 2
    password = os.environ.get("PHONGHOP_PASSWORD") or getpass.getpass("Mật khẩu: ")
    try:
        check_password(password, username=args.username, full_name=args.full_name)
    except WeakPassword as exc:
        print(exc.message, file=sys.stderr)
        return 2
    with database(settings) as url:
        return asyncio.run(_create_user(url, settings, args, password))


async def _audit_verify(url: str, settings: Settings, extra_heads: list[Path]) -> int:
    """Needs what the server seals with: the audit key of its keys folder and
    the heads it exported to its data folder (--data-dir, PHONGHOP_DATA_DIR,
    PHONGHOP_KEYS_DIR); `--heads` adds copies from elsewhere."""
    from collab_server import keys
    from collab_server.storage import audit, audit_heads, db

    pool = await db.create_pool(url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await db.migrate(conn)
            known = await conn.fetchval("SELECT fingerprint FROM server_keys WHERE name = $1",
                                        audit.KEY_NAME)
            key_file = settings.keys_dir / f"{audit.KEY_NAME}.key"
            if known is not None and not key_file.exists():
                print(f"Không có khóa kiểm toán {key_file}: chạy lệnh với thư mục dữ liệu của "
                      "máy chủ (--data-dir, PHONGHOP_DATA_DIR hoặc PHONGHOP_KEYS_DIR). / No audit "
                      f"key at {key_file}: give the server's data folder.", file=sys.stderr)
                return 2
            held = keys.ServerKeys(settings.keys_dir)
            try:
                await keys.ensure_known(conn, audit.KEY_NAME, held.get(audit.KEY_NAME))
            except keys.KeyMismatch as exc:
                print(exc, file=sys.stderr)
                return 2
            own = audit_heads.path(settings.data_dir)
            sealer = audit.Sealer(held.derive(audit.KEY_NAME, audit.CHAIN_PURPOSE), own)
            count, problems = await audit.verify(conn, sealer, [own, *extra_heads])
    finally:
        await pool.close()
    for problem in problems:
        print(problem)
    if problems:
        print(f"Nhật ký kiểm toán KHÔNG toàn vẹn: {len(problems)} vấn đề trong {count} mục.")
        return 1
    print(f"Nhật ký kiểm toán toàn vẹn: {count} mục, chuỗi băm và các biên bản đã duyệt khớp.")
    return 0


async def _retention(url: str) -> int:
    """Archived meetings kept longer than their body's retention: a list for the
    records office, which decides on disposal (nothing is deleted here)."""
    from collab_server.storage import db

    pool = await db.create_pool(url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await db.migrate(conn)
            rows = await conn.fetch(
                "SELECT b.name AS body, m.id, m.title, t.at::date AS archived,"
                " b.retention_years FROM meetings m JOIN bodies b ON b.id = m.body_id"
                " JOIN LATERAL (SELECT max(at) AS at FROM meeting_transitions"
                "   WHERE meeting_id = m.id AND to_status = 'archived') t ON true"
                " WHERE m.status = 'archived' AND b.retention_years IS NOT NULL"
                " AND t.at + make_interval(years => b.retention_years) < now()"
                " ORDER BY b.name, t.at")
    finally:
        await pool.close()
    if not rows:
        print("Không có cuộc họp nào quá thời hạn lưu trữ.")
        return 0
    print("Cuộc họp đã quá thời hạn lưu trữ (chờ hội đồng xác định giá trị tài liệu quyết định):")
    for r in rows:
        print(f"  {r['body']} · #{r['id']} {r['title']} · lưu trữ từ {r['archived']:%d/%m/%Y}"
              f" · thời hạn {r['retention_years']} năm")
    return 0


def cmd_retention(settings: Settings, args: argparse.Namespace) -> int:
    with database(settings) as url:
        return asyncio.run(_retention(url))


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    from collab_server import backup

    with database(settings) as url:
        try:
            files = backup.backup(url, settings, args.out)
        except backup.BackupError as exc:
            print(exc, file=sys.stderr)
            return 1
    print(f"Đã sao lưu cơ sở dữ liệu: {files.dump}\n"
          f"Đã sao lưu khóa và dấu nhật ký kiểm toán: {files.keys}\n"
          "Cất tệp khóa ở nơi khác với tệp cơ sở dữ liệu (xem docs/operations.md).")
    return 0


async def _restore(url: str, settings: Settings, args: argparse.Namespace) -> int:
    from collab_server import backup

    if not await backup.database_is_empty(url):
        print("Cơ sở dữ liệu đích đã có dữ liệu; chỉ khôi phục vào cơ sở dữ liệu trống. / "
              "The target database is not empty.", file=sys.stderr)
        return 2
    try:
        await asyncio.to_thread(backup.restore_keys, args.keys, args.dump, settings)
        await asyncio.to_thread(backup.restore_database, url, args.dump)
    except backup.BackupError as exc:
        print(exc, file=sys.stderr)
        return 1
    print("Đã khôi phục cơ sở dữ liệu và khóa; kiểm tra nhật ký kiểm toán:")
    return await _audit_verify(url, settings, [])


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    with database(settings) as url:
        return asyncio.run(_restore(url, settings, args))


def cmd_audit(settings: Settings, args: argparse.Namespace) -> int:
    with database(settings) as url:
        return asyncio.run(_audit_verify(url, settings, args.heads or []))


def cmd_notify_test(settings: Settings, args: argparse.Namespace) -> int:
    """One message by each channel asked for, with this machine's settings."""
    from collab_server.notify.check import send_test

    if not args.to and not args.phone:
        print("Cần --to hoặc --phone. / Give --to or --phone.", file=sys.stderr)
        return 2
    ok, lines = asyncio.run(send_test(settings, args.to or "", args.phone or ""))
    for line in lines:
        print(line)
    return 0 if ok else 1


def cmd_rehearsal(settings: Settings, args: argparse.Namespace) -> int:
    with database(settings) as url:
        return asyncio.run(_rehearsal(url, args))


async def _rehearsal(url: str, args: argparse.Namespace) -> int:
    """A throwaway body, accounts and a copy of a meeting for a load test on
    the real servers, and their removal afterwards (collab_server/rehearsal.py)."""
    from collab_server import rehearsal
    from collab_server.storage import db

    pool = await db.create_pool(url, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await db.migrate(conn)
        if args.action == "create":
            if args.meeting is None:
                print("Cần --meeting (cuộc họp để sao chép). / --meeting is required.",
                      file=sys.stderr)
                return 2
            made = await rehearsal.create(pool, args.meeting, people=args.people)
            await asyncio.to_thread(rehearsal.save, args.accounts, made)
            print(f"Đã tạo buổi diễn tập {made.code}: cuộc họp #{made.meeting_id},"
                  f" {len(made.accounts)} tài khoản trong {args.accounts}.")
            print(f"Chạy tải: make load URL=<địa chỉ> ACCOUNTS={args.accounts}"
                  f" PREFIX={made.prefix}")
            print(f"Gỡ sau khi xong: phonghop rehearsal remove {made.code}")
            return 0
        if not args.code:
            print("Cần mã buổi diễn tập. / The rehearsal's code is required.", file=sys.stderr)
            return 2
        removed = await rehearsal.remove(pool, args.code)
        print(f"Đã gỡ buổi diễn tập {args.code}: {removed['meetings']} cuộc họp,"
              f" {removed['deleted']} tài khoản xóa hẳn, {removed['closed']} tài khoản đóng"
              " (nhật ký kiểm toán còn nhắc đến).")
        return 0
    except rehearsal.RehearsalError as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        await pool.close()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="phonghop", description="Phòng họp không giấy")
    p.add_argument("--database-url", help="PostgreSQL URL (default: embedded, env DATABASE_URL)")
    p.add_argument("--data-dir", type=Path,
                   help="data folder (default ./var, env PHONGHOP_DATA_DIR)")
    p.add_argument("--log-level", help="debug, info, warning (env PHONGHOP_LOG_LEVEL)")
    p.add_argument("--log-format", choices=["json", "text"], help="env PHONGHOP_LOG_FORMAT")
    sub = p.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--host", help="env PHONGHOP_HOST (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="env PHONGHOP_PORT (default 8000)")
    serve.add_argument("--demo", action="store_true", help="seed the demo if the database is new")
    serve.add_argument("--flush-window-ms", type=float, help="env PHONGHOP_FLUSH_WINDOW_MS (5)")
    serve.add_argument("--max-frame-bytes", type=int, help="env PHONGHOP_MAX_FRAME_BYTES (1 MiB)")
    serve.add_argument("--idle-unload-s", type=float, help="env PHONGHOP_IDLE_UNLOAD_S (60)")
    serve.add_argument("--workers", type=int, help="processes on this machine (needs REDIS_URL)")
    serve.add_argument("--redis-url", help="Redis or Valkey for several processes (env REDIS_URL)")
    serve.add_argument("--trusted-proxies",
                       help="proxies whose X-Forwarded-For is believed, e.g. 10.0.0.5 "
                            "(env PHONGHOP_TRUSTED_PROXIES; default none)")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    sub.add_parser("demo", help="seed the demo meeting").set_defaults(func=cmd_demo)

    sub.add_parser("retention", help="archived meetings past their body's retention"
                   ).set_defaults(func=cmd_retention)

    audit = sub.add_parser("audit", help="check the audit log")
    audit.add_argument("action", choices=["verify"],
                       help="verify the keyed chain, its exported heads and approved minutes")
    audit.add_argument("--heads", type=Path, action="append",
                       help="another server's exported heads file (repeatable)")
    audit.set_defaults(func=cmd_audit)

    save = sub.add_parser("backup", help="back up the database and the keys (two files)")
    save.add_argument("--out", type=Path, default=Path("backup"),
                      help="folder for the two files (default ./backup)")
    save.set_defaults(func=cmd_backup)
    back = sub.add_parser("restore", help="restore a backup into an empty database")
    back.add_argument("dump", type=Path, help="the .dump file of `phonghop backup`")
    back.add_argument("keys", type=Path, help="the .keys.tar file of the same backup")
    back.set_defaults(func=cmd_restore)

    drill = sub.add_parser("rehearsal", help="a throwaway copy of a meeting and test accounts "
                                             "for a load test, and its removal")
    drill.add_argument("action", choices=["create", "remove"])
    drill.add_argument("code", nargs="?", help="remove: the rehearsal's code (dt...)")
    drill.add_argument("--meeting", type=int, help="create: the meeting to copy")
    drill.add_argument("--people", type=int, default=91,
                       help="create: members in the room, chair included (91)")
    drill.add_argument("--accounts", type=Path, default=Path("var/rehearsal-accounts.txt"),
                       help="create: where to write the accounts (var/rehearsal-accounts.txt)")
    drill.set_defaults(func=cmd_rehearsal)

    check = sub.add_parser("notify-test", help="send one test message by e-mail and/or the "
                           "SMS/Zalo gateway with this machine's settings")
    check.add_argument("--to", help="an e-mail address")
    check.add_argument("--phone", help="a mobile number, through the gateway")
    check.set_defaults(func=cmd_notify_test)

    user = sub.add_parser("create-user", help="add a user (password from PHONGHOP_PASSWORD or "
                                              "a prompt)")
    user.add_argument("--body", required=True, help="body code, e.g. ubnd-tinh")
    user.add_argument("--body-name", help="create the body with this name if it is new")
    user.add_argument("--username", required=True)
    user.add_argument("--full-name", required=True)
    user.add_argument("--title", default="")
    user.add_argument("--unit", default="")
    user.add_argument("--admin", action="store_true", help="admin of the body")
    user.add_argument("--site-admin", action="store_true",
                      help="may create bodies and name their first admin (also --admin)")
    user.set_defaults(func=cmd_create_user)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = Settings()
    for name in ("database_url", "data_dir", "log_level", "log_format", "host", "port",
                 "flush_window_ms", "max_frame_bytes", "idle_unload_s", "redis_url",
                 "trusted_proxies"):
        value = getattr(args, name, None)
        if value is not None:
            setattr(settings, name, value)
    logs.setup(settings.log_level, settings.log_format)
    from collab_server.storage.db import MigrationRefused

    try:
        result: int = args.func(settings, args)
    except KeyboardInterrupt:
        return 130
    except MigrationRefused as exc:  # the server's role owns nothing: the owner migrates
        print(exc, file=sys.stderr)
        return 2
    return result
