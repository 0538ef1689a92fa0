"""The floor of ``bench/load.py``: the service's framework (Litestar) and server, and no work.

``GET /floor/{size}`` answers ``200`` with a constant JSON body of ``size`` bytes, built once. A scenario's
throughput divided by the floor's at the same body size says how much of what the framework and server can do
the real work (authentication, SQL, encoding) leaves.

    python bench/floor.py --port 8001 [--server uvicorn|granian] [--workers 1]

It is served the way ``hospital-alerts serve`` serves the service: uvicorn without access log or server
header, or granian's ASGI interface, with as many workers.
"""

from __future__ import annotations

import argparse
from functools import cache

from litestar import Litestar, Response, get


@cache
def _body(size: int) -> bytes:
    # A JSON string of the right length: '"xxx...x"'.
    return b'"' + b"x" * max(0, size - 2) + b'"'


@get("/floor/{size:int}", sync_to_thread=False)
def floor(size: int) -> Response[bytes]:
    return Response(_body(min(size, 10_000_000)), media_type="application/json")


@get("/health/ready", sync_to_thread=False)
def ready() -> dict[str, str]:
    return {"status": "ready"}


app = Litestar([floor, ready], openapi_config=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--server", choices=("uvicorn", "granian"), default="uvicorn")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if args.server == "granian":
        from granian import Granian
        from granian.constants import Interfaces

        Granian(
            "bench.floor:app", address="127.0.0.1", port=args.port, interface=Interfaces.ASGI,
            workers=args.workers, log_level="warning", log_access=False,  # type: ignore[arg-type]
        ).serve()  # fmt: skip
    else:
        import uvicorn

        uvicorn.run(
            "bench.floor:app", host="127.0.0.1", port=args.port, workers=args.workers, log_level="warning",
            access_log=False, server_header=False,
        )  # fmt: skip


if __name__ == "__main__":
    main()
