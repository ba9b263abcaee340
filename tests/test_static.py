"""A server whose browser clients are not built says so (503 with what to
run), keeps its API working, and serves the clients once they are built."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import Server


async def test_unbuilt_clients_are_named_not_a_500(database_url: str, tmp_path: Path) -> None:
    clients = tmp_path / "clients"
    server = Server(database_url, tmp_path, {"PHONGHOP_CLIENTS_DIR": str(clients)})
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.http, timeout=30) as client:
            for path in ("/", "/display/", "/assets/app.js"):
                r = await client.get(path)
                assert r.status_code == 503, (path, r.status_code, r.text[:200])
                body = r.json()
                assert body["code"] == "clients_missing"
                assert "make clients" in body["message"]
            assert (await client.get("/-/health")).status_code == 200
            # Built while the server runs: served without a restart.
            (clients / "web" / "dist").mkdir(parents=True)
            (clients / "web" / "dist" / "index.html").write_text(
                "<!doctype html><title>Phòng họp không giấy</title>", encoding="utf-8")
            r = await client.get("/")
            assert r.status_code == 200 and "Phòng họp không giấy" in r.text
        assert "Traceback" not in server.log_text()
    finally:
        await server.stop()
