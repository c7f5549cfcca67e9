"""Loopback ports and waiting for them."""
import socket
import time


def free_port(host="127.0.0.1"):
    """A TCP port on `host` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def refused_port(host="127.0.0.1"):
    """A port where connecting is refused (bound once, never listened on)."""
    return free_port(host)


def wait_for_port(host, port, timeout=10.0, alive=None):
    """Waits until `host:port` accepts a connection. `alive` (optional) is polled and a
    False answer aborts early (the process died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            return False
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False
