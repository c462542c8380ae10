"""The URL and path policy on its own: which addresses are public, which URLs and paths pass."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from novita_mcp.client import URLRefusedError
from novita_mcp.urlpolicy import PathPolicy, URLPolicy, is_public_address

pytestmark = pytest.mark.anyio

NON_PUBLIC = ["127.0.0.1", "127.9.9.9", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
              "0.0.0.0", "224.0.0.251", "240.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1",
              "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
              "::ffff:169.254.169.254", "64:ff9b::7f00:1", "2002:7f00:1::", "::127.0.0.1", "fec0::1", "not-an-ip"]
PUBLIC = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", NON_PUBLIC)
def test_non_public_addresses_are_recognised(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert is_public_address(address)


def resolver(table: dict[str, list[str]]):
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        if host not in table:
            raise OSError("no such host")
        return table[host]

    resolve.asked = asked  # type: ignore[attr-defined]
    return resolve


async def test_a_name_is_refused_if_any_of_its_addresses_is_not_public() -> None:
    policy = URLPolicy(resolve=resolver({"mixed.example": ["8.8.8.8", "10.0.0.1"], "ok.example": ["8.8.8.8"]}))
    with pytest.raises(URLRefusedError, match="non-public"):
        await policy.check("https://mixed.example/a.png")
    checked = await policy.check("https://ok.example:8443/a.png?sig=secret")
    assert checked.pinned == "8.8.8.8" and "sig" not in checked.shown


async def test_unresolvable_and_odd_hosts_are_refused_without_guessing() -> None:
    resolve = resolver({})
    policy = URLPolicy(resolve=resolve)
    for url in ["http://nowhere.example/x", "http://2130706433/x", "http://0x7f.1/x", "http://017.0.0.1/x",
                "http://127.1/x", "gopher://example.com/", "file:///etc/passwd", "http:///x", "http://a\tb/x",
                "http://user@example.com/x", "http://" + "a" * 5000 + ".com/"]:
        with pytest.raises(URLRefusedError):
            await policy.check(url)
    assert resolve.asked == ["nowhere.example"]  # the literal and odd forms never reached DNS


async def test_only_the_exact_trusted_origin_skips_the_check() -> None:
    policy = URLPolicy(trusted=["http://127.0.0.1:8787"], resolve=resolver({}))
    assert (await policy.check("http://127.0.0.1:8787/files/x.png")).pinned is None
    for url in ["http://127.0.0.1:8788/x", "https://127.0.0.1:8787/x", "http://localhost:8787/x"]:
        with pytest.raises(URLRefusedError):
            await policy.check(url)


def test_paths_on_stdio_are_the_user_s_own(tmp_path: Path) -> None:
    f = tmp_path / "a.png"
    f.write_bytes(b"x")
    assert PathPolicy(None).resolve(str(f), remote=False) == f
    assert PathPolicy(None).resolve(str(tmp_path / "missing"), remote=False) is None


def test_paths_over_http_only_under_the_files_dir(tmp_path: Path) -> None:
    root = tmp_path / "files"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "ok.png").write_bytes(b"x")
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"x")
    os.symlink(outside, root / "escape.png")
    policy = PathPolicy(root)
    assert policy.resolve("sub/ok.png", remote=True) == (root / "sub" / "ok.png").resolve()
    assert policy.resolve(str(root / "sub" / "ok.png"), remote=True) is not None
    for refused in [str(outside), "../outside.png", "sub/../../outside.png", "escape.png", "~/x", "missing.png",
                    "a\x00b"]:
        assert policy.resolve(refused, remote=True) is None, refused
    assert PathPolicy(None).resolve(str(outside), remote=True) is None
    assert policy.refusal("image") == PathPolicy(root).refusal("image")
