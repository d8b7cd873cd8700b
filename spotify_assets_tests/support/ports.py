"""A free TCP port on 127.0.0.1, for the real servers tests and the benchmark start
(moto, PostgreSQL, dagster-webserver)."""

import socket


def free_port() -> int:
    """A port no one listens on now (the OS picks it; it is free until someone binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
