"""A stand-in for the real web server behind `fronting`: it records every byte a spliced
connection sends and answers with a fixed HTTP reply after the first bytes arrive."""
import socket
import threading
import time

REPLY = b"HTTP/1.1 400 Bad Request\r\nServer: decoy\r\nContent-Length: 0\r\n\r\n"


class FrontingServer:
    def __init__(self, host="127.0.0.1"):
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind((host, 0))
        self.server.listen(64)
        self.address = "%s:%d" % (host, self.server.getsockname()[1])
        self.lock = threading.Lock()
        self.received = []  # one bytes object per connection, complete once it closed
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        with self.lock:
            index = len(self.received)
            self.received.append(b"")
        replied = False
        conn.settimeout(10)
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                with self.lock:
                    self.received[index] += data
                if not replied:
                    conn.sendall(REPLY)
                    replied = True
        except OSError:
            pass
        finally:
            conn.close()

    def wait_connections(self, count, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.01)
        with self.lock:
            return list(self.received)

    def close(self):
        self.server.close()
