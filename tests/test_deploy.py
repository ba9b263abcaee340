"""The deployment's edges: what a cross-site page can forge about where a request
went, and what the shipped nginx and systemd files promise (docs/operations.md)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import websockets

from collab_server.status import Close
from tests.conftest import Server, World, build_world

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
PUBLIC = "https://phonghop.example.gov.vn"
SERVER_ENV = {"PHONGHOP_PUBLIC_URL": PUBLIC}


@pytest.fixture(scope="module")
async def world(server: Server) -> World:
    return await build_world(server.database_url, delegates=1)


@pytest.fixture
async def cookie_client(server: Server, world: World) -> AsyncIterator[httpx.AsyncClient]:
    """A browser holding the secretary's session cookie, as a hostile page would use it."""
    async with httpx.AsyncClient(base_url=server.http,
                                 cookies={"phonghop_session": world.token("secretary")}) as client:
        yield client


async def test_forwarded_host_does_not_vouch_for_a_cross_site_request(
        server: Server, world: World, cookie_client: httpx.AsyncClient) -> None:
    # A page of evil.example posts with the cookie; whatever it (or a proxy that
    # passes headers through) says in X-Forwarded-Host, the server knows where
    # it is reached.
    forged = {"origin": "https://evil.example", "x-forwarded-host": "evil.example"}
    r = await cookie_client.post("/api/logout", headers=forged)
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf", r.text
    forged_as_us = {"origin": "https://evil.example", "x-forwarded-host": "evil.example",
                    "forwarded": "host=evil.example"}
    r = await cookie_client.post("/api/logout", headers=forged_as_us)
    assert r.status_code == 403
    assert (await cookie_client.get("/api/me")).status_code == 200  # still logged in
    # A socket from that page is refused the same way.
    url = f"{server.ws}/ws/meeting/{world.meeting_id}/room"
    headers = {"cookie": f"phonghop_session={world.token('secretary')}",
               "x-forwarded-host": "evil.example"}
    async with websockets.connect(url, origin="https://evil.example",  # type: ignore[arg-type]
                                  additional_headers=headers) as ws:
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == Close.FORBIDDEN


async def test_own_pages_pass_directly_and_behind_nginx(
        server: Server, world: World, cookie_client: httpx.AsyncClient) -> None:
    # Behind nginx the Host header is the public name (proxy_set_header Host $host),
    # and the browser's Origin is the public URL.
    host = PUBLIC.removeprefix("https://")
    r = await cookie_client.post(f"/api/meetings/{world.meeting_id}/documents",
                                 headers={"origin": PUBLIC, "host": host},
                                 params={"filename": "x.sh"}, content=b"#!/bin/sh\n")
    assert r.status_code == 415, r.text  # past the CSRF check, refused for what it is
    # The configured public URL vouches even when a proxy rewrote Host.
    r = await cookie_client.post(f"/api/meetings/{world.meeting_id}/documents",
                                 headers={"origin": PUBLIC},
                                 params={"filename": "x.sh"}, content=b"#!/bin/sh\n")
    assert r.status_code == 415, r.text
    # Reached directly at its own address.
    r = await cookie_client.post(f"/api/meetings/{world.meeting_id}/documents",
                                 headers={"origin": server.http},
                                 params={"filename": "x.sh"}, content=b"#!/bin/sh\n")
    assert r.status_code == 415, r.text


# -- the shipped configuration -----------------------------------------------------------
# `nginx -t` is not available where the tests run: these read the files as text,
# a guard against a later edit dropping what docs/operations.md promises.


def _blocks(text: str, head: str) -> list[str]:
    """The bodies of every `head { ... }` block (braces balanced)."""
    found = []
    for match in re.finditer(re.escape(head) + r"\s*\{", text):
        depth, i = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        found.append(text[match.end():i - 1])
    return found


def _nginx() -> str:
    return "\n".join(line.split("#", 1)[0] for line in
                     (DEPLOY / "nginx.conf").read_text().splitlines())


def test_nginx_restricts_system_endpoints_and_sends_hsts() -> None:
    conf = _nginx()
    tls = [s for s in _blocks(conf, "server") if "listen 443" in s]
    assert len(tls) == 1
    server = tls[0]
    assert re.search(r"add_header\s+Strict-Transport-Security\s+\"max-age=(\d+)[^\"]*\"\s+always;",
                     server)
    age = int(re.search(r"max-age=(\d+)", server).group(1))  # type: ignore[union-attr]
    assert age >= 180 * 24 * 3600
    system = _blocks(server, "location /-/")
    assert len(system) == 1, "one location for /-/health and /-/metrics"
    rules = re.findall(r"^\s*(allow|deny)\s+([^;]+);", system[0], flags=re.M)
    assert rules and rules[-1] == ("deny", "all"), rules
    assert all(r[1].strip() != "all" for r in rules[:-1] if r[0] == "allow")
    assert ("allow", "127.0.0.1") in rules
    # Every other location reaches the application only through this server block,
    # so no other path serves /-/ unguarded.
    assert not re.search(r"location\s+[~=^]*\s*/-", server.replace("location /-/", ""))


def test_app_servers_listen_on_their_private_address() -> None:
    service = (DEPLOY / "phonghop.service").read_text()
    start = next(line for line in service.splitlines() if line.startswith("ExecStart="))
    assert "0.0.0.0" not in start and "::" not in start
    env = (DEPLOY / "phonghop.env.example").read_text()
    host = re.search(r"^PHONGHOP_HOST=(\S+)$", env, flags=re.M)
    assert host and host.group(1) not in ("0.0.0.0", "::")
    upstream = _blocks(_nginx(), "upstream phonghop")[0]
    servers = re.findall(r"server\s+([\d.]+):8000", upstream)
    assert host.group(1) in servers


def test_nginx_logs_no_query_string() -> None:
    """A receipt in a query string, beside the voter's address and time, would
    link a voter to a choice; tokens of non-browser clients ride there too."""
    conf = _nginx()
    formats = dict(re.findall(r"log_format\s+(\w+)\s+((?:'[^']*'\s*)+);", conf))
    tls = next(s for s in _blocks(conf, "server") if "listen 443" in s)
    logs = re.findall(r"^\s*access_log\s+([^;]+);", tls, flags=re.M)
    assert [log for log in logs if log.strip() != "off"], (
        "the TLS server names its access log, or nginx's default format (with $request) logs"
        " every query string")
    for log in logs:
        if log.strip() == "off":
            continue
        name = log.split()[-1]
        assert name in formats, f"access_log {log} uses nginx's default format (with $request)"
        assert not re.search(r"\$(request|args|query_string|request_uri)\b", formats[name])
