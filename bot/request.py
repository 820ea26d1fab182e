"""The bot's HTTP client for the Bot API: python-telegram-bot's ``BaseRequest`` on aiohttp.

Why not PTB's default ``HTTPXRequest``: with the bot's 16 updates handled at once, httpx/httpcore's
connection-pool bookkeeping cost ~2.2 ms of CPU per sendMessage on this machine against ~0.35 ms
for aiohttp (benchmarks/bench_http.py); it was the largest part of the bot's CPU per answer.
``BaseRequest`` is PTB's documented extension point for "different asyncio HTTP libraries", and
PTB's maintainers accepted an aiohttp implementation into their ptbcontrib repository
(python-telegram-bot/ptbcontrib#126, ``ptbcontrib/aiohttp_request``) after users asked for it
(python-telegram-bot#4560). ptbcontrib is not published on PyPI, so this is our own small class
following the same contract, with PTB's timeout semantics kept:

- ``read_timeout`` -> aiohttp ``sock_read`` (PTB adds the long-polling timeout for getUpdates);
- ``connect_timeout`` -> ``sock_connect``; ``pool_timeout`` + ``connect_timeout`` -> ``connect``
  (aiohttp's wait for a pooled connection includes connecting);
- ``write_timeout``: aiohttp has none; a request with files is bounded as a whole instead
  (``write_timeout`` + ``read_timeout`` + ``connect_timeout``).

Parameters go as one ``application/json`` body (the Bot API accepts it for every call without
files): a single ``json.dumps``, where PTB's form encoding JSON-encodes each value and then
percent-encodes every byte of Chinese text in Python. Calls with files are multipart/form-data.

Errors map as in ``HTTPXRequest``: a timeout is ``TimedOut``, any other client error is
``NetworkError`` — whose message never contains the URL (it holds the bot token).
Proxies: ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` and ``NO_PROXY`` from the environment work
as they do with httpx (an HTTP proxy, credentials in its URL allowed; aiohttp has no SOCKS). They are
read once per host — aiohttp's own ``trust_env=True`` re-reads them and ~/.netrc in a worker thread
for every request, which cost more CPU than the request itself.
File names in uploads are sent as UTF-8 (``quote_fields=False``), as httpx and Telegram's own
clients send them, not percent-encoded.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit
from urllib.request import getproxies_environment, proxy_bypass_environment

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest"]


def _seconds(value: object, default: float | None) -> float | None:
    """A timeout PTB passed (``DEFAULT_NONE`` = ours), as seconds or None (no limit)."""
    if isinstance(value, type(BaseRequest.DEFAULT_NONE)):
        return default
    return value  # type: ignore[return-value]


class AiohttpRequest(BaseRequest):
    """``BaseRequest`` over one ``aiohttp.ClientSession`` with at most ``connection_pool_size``
    connections. Timeouts are seconds (None: no limit), defaults as ``HTTPXRequest``'s."""

    __slots__ = ("_pool_size", "_timeouts", "_session", "_proxies", "_headers", "_json_headers")

    def __init__(self, connection_pool_size: int = 1, *, read_timeout: float | None = 5.0,
                 write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
                 pool_timeout: float | None = 1.0, media_write_timeout: float | None = 20.0) -> None:
        self._pool_size = connection_pool_size
        self._timeouts = {"read": read_timeout, "write": write_timeout, "connect": connect_timeout,
                          "pool": pool_timeout, "media_write": media_write_timeout}
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str | None] = {}  # scheme://host -> proxy URL (None: direct)
        self._headers = {"User-Agent": self.USER_AGENT}
        self._json_headers = {"User-Agent": self.USER_AGENT, "Content-Type": "application/json"}

    @property
    def read_timeout(self) -> float | None:
        """See ``BaseRequest.read_timeout``: the default read timeout, in seconds."""
        return self._timeouts["read"]

    async def initialize(self) -> None:
        """Open the session (again, after a shutdown); it needs the running event loop."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0),
                timeout=aiohttp.ClientTimeout(total=None))
            self._proxies.clear()  # the environment is read again after a restart

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | None = BaseRequest.DEFAULT_NONE,  # type: ignore[assignment]
        write_timeout: float | None = BaseRequest.DEFAULT_NONE,  # type: ignore[assignment]
        connect_timeout: float | None = BaseRequest.DEFAULT_NONE,  # type: ignore[assignment]
        pool_timeout: float | None = BaseRequest.DEFAULT_NONE,  # type: ignore[assignment]
    ) -> tuple[int, bytes]:
        """See ``BaseRequest.do_request``: (HTTP status, body). Raises TimedOut, NetworkError."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        t = self._timeouts
        files = request_data is not None and request_data.contains_files
        read = _seconds(read_timeout, t["read"])
        connect = _seconds(connect_timeout, t["connect"])
        pool = _seconds(pool_timeout, t["pool"])
        write = _seconds(write_timeout, t["media_write"] if files else t["write"])
        total = None
        if files and None not in (write, read, connect):
            total = write + read + connect  # type: ignore[operator]
        timeout = aiohttp.ClientTimeout(
            total=total, sock_read=read, sock_connect=connect,
            connect=None if pool is None or connect is None else pool + connect)
        data: object = None
        headers = self._headers
        if request_data is not None:
            if files:
                form = aiohttp.FormData(quote_fields=False, charset="utf-8")
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, (filename, content, mimetype) in request_data.multipart_data.items():
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                data = form
            else:  # one JSON body (the Bot API accepts application/json): no percent-encoding
                data = json.dumps(request_data.parameters, ensure_ascii=False).encode()
                headers = self._json_headers
        try:
            async with self._session.request(method, url, data=data, timeout=timeout, proxy=self._proxy(url),
                                             headers=headers) as res:
                return res.status, await res.read()
        except TimeoutError as err:  # aiohttp's timeouts subclass it
            if isinstance(err, aiohttp.ConnectionTimeoutError):
                raise TimedOut("Pool timeout or connect timeout: no connection to the Bot API in time. "
                               "The request was *not* sent.") from err
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {_without_url(str(err), url)}") from err

    def _proxy(self, url: str) -> str | None:
        """The proxy the environment names for ``url``'s scheme and host (None: go direct)."""
        origin = url[:url.find("/", url.find("//") + 2)]
        if origin not in self._proxies:
            parts = urlsplit(url)
            env = getproxies_environment()
            proxy = env.get(parts.scheme) or env.get("all")
            if proxy and parts.hostname and proxy_bypass_environment(parts.hostname, env):
                proxy = None
            self._proxies[origin] = proxy
        return self._proxies[origin]


def _without_url(message: str, url: str) -> str:
    """The error text with the request URL's path (which holds the bot token) cut out."""
    path = urlsplit(url).path
    return message.replace(url, "<Bot API URL>").replace(path, "<path>") if path else message
