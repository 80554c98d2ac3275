"""nginx ``proxy_cache`` as the anchors section runs it: a loopback cache in front of an
origin, its config, cache, temp files, logs and pid all in one folder, so it runs as any user.

One process (``master_process off``), as the emulator and bare aiohttp are one, so each
contender gets CPU 0 to itself; a master would only hand the work to its one worker. nginx
honours the origin's ``Cache-Control`` (the product page's ``max-age=300``, no Vary, no
Set-Cookie: nothing for ``proxy_ignore_headers`` to override) as the edge does, and says hit
or miss in ``X-Cache-Status``. Its notices go to stdout as well as the folder's error.log:
the one naming nginx's version comes once it listens, which the bench waits for.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from .measure import tool

READY = "nginx/"  # the notice nginx logs once its sockets listen
CACHE_STATUS = "x-cache-status"

CONFIG = """\
worker_processes 1;
master_process off;
pid {home}/nginx.pid;
error_log {home}/error.log notice;
error_log /dev/stdout notice;

events {{
    worker_connections 1024;
}}

http {{
    access_log {home}/access.log;
    client_body_temp_path {home}/client_body;
    proxy_temp_path {home}/proxy_temp;
    fastcgi_temp_path {home}/fastcgi_temp;
    uwsgi_temp_path {home}/uwsgi_temp;
    scgi_temp_path {home}/scgi_temp;
    proxy_cache_path {home}/cache levels=1:2 keys_zone=popcache:10m max_size=64m
                     inactive=10m use_temp_path=off;

    upstream origin {{
        server {origin};
        keepalive 8;
    }}

    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache popcache;
            proxy_cache_valid 200 5m;
            proxy_cache_lock on;
            add_header X-Cache-Status $upstream_cache_status always;
        }}
    }}
}}
"""


def binary() -> str | None:
    return tool("nginx")


def config(port: int, origin: str, home: Path) -> str:
    """nginx.conf for a cache on ``port`` in front of the URL ``origin``, kept in ``home``."""
    return CONFIG.format(port=port, origin=urlsplit(origin).netloc, home=home)


def command(port: int, origin: str, parent: Path) -> list[str]:
    """Write a config for ``port`` into a fresh folder under ``parent``; the command that runs
    nginx on it in the foreground."""
    nginx = binary()
    if nginx is None:
        raise SystemExit("bench: nginx is not installed (apt-get install nginx-light)")
    home = Path(tempfile.mkdtemp(prefix=f"nginx-{port}-", dir=parent))
    conf = home / "nginx.conf"
    conf.write_text(config(port, origin, home), encoding="utf-8")
    # -e: the log before the config is read, which otherwise is /var/log/nginx's.
    early = str(home / "error.log")
    return [nginx, "-e", early, "-c", str(conf), "-p", str(home), "-g", "daemon off;"]
