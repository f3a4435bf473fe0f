"""The caching proxy's shipped nginx config, how it is filled in, and what happens where nginx is missing."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from labkit.lab.errors import ParameterError, ServiceError
from labkit.lab.services import proxy
from labkit.lab.services.proxy import caching_proxy, nginx_binary, nginx_missing, proxy_config

ROOT = Path(__file__).resolve().parents[2]


def test_the_config_keeps_every_path_in_its_folder(tmp_path: Path) -> None:
    text = proxy_config(tmp_path, 18080, "http://127.0.0.1:8003", 10)
    assert not re.search(r"@(folder|port|upstream|max_age|user)@", text)  # every placeholder filled in
    assert f"pid {tmp_path}/nginx.pid;" in text and f"error_log {tmp_path}/error.log" in text
    paths = re.findall(r"^\s*\w+_(?:temp_)?path\s+(\S+)", text, re.M)
    assert len(paths) == 6 and all(p.startswith(str(tmp_path)) for p in paths)
    assert "/etc/" not in text and "/var/" not in text


def test_the_config_caches_and_revalidates_in_front_of_the_upstream(tmp_path: Path) -> None:
    text = proxy_config(tmp_path, 18080, "127.0.0.1:8003", 7)
    for line in ("worker_processes 1;", "daemon off;", "listen 127.0.0.1:18080;", "server 127.0.0.1:8003;",
                 "proxy_cache_valid 200 7s;", "proxy_cache_revalidate on;",
                 "add_header X-Cache-Status $upstream_cache_status always;"):
        assert line in text, line


@pytest.mark.parametrize("upstream", ["https://127.0.0.1:8003", "127.0.0.1", "http://127.0.0.1:8003/api"])
def test_an_upstream_that_is_not_http_host_port_is_refused(tmp_path: Path, upstream: str) -> None:
    with pytest.raises(ParameterError, match="upstream="):
        proxy_config(tmp_path, 18080, upstream, 10)


def test_a_max_age_out_of_range_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="max_age=-1"):
        proxy_config(tmp_path, 18080, "127.0.0.1:8003", -1)


@pytest.mark.skipif(nginx_missing() is not None, reason=str(nginx_missing()))
def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(proxy_config(tmp_path, 18080, "127.0.0.1:8003", 10))
    checked = subprocess.run([str(nginx_binary()), "-t", "-c", str(conf), "-p", str(tmp_path),
                              "-e", str(tmp_path / "error.log")], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr


def test_without_nginx_the_reason_names_the_package_and_starting_fails_clearly(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(proxy.shutil, "which", lambda _: None)
    monkeypatch.setattr(proxy, "_SBIN", ())
    reason = nginx_missing()
    assert reason is not None and "`nginx`" in reason and "make nginx" in reason
    with pytest.raises(ServiceError, match="nginx is not installed"), caching_proxy("127.0.0.1:8003"):
        pass


def test_ci_installs_nginx_before_the_tests_as_it_installs_chromium() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^nginx: .*## .+\n\t.*apt-get install -y -qq nginx", makefile, re.M)
    install, tests = ci.index("|| make nginx"), ci.index("\nmake test")
    assert install < tests
