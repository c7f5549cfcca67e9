"""Shared fixtures for the integration tests."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from support import gateway, net  # noqa: E402
from support.upstream import Upstream  # noqa: E402


class GatewayTestCase(unittest.TestCase):
    """One mtedge process (relay backend) and one test upstream per test class."""

    upstream_down = False  # point the relay at a port where connecting is refused
    config_kw = {}
    gateway_env = {}  # extra environment for the mtedge process

    @classmethod
    def setUpClass(cls):
        cls.upstream = None if cls.upstream_down else Upstream()
        address = ("127.0.0.1:%d" % net.refused_port()) if cls.upstream_down else cls.upstream.address
        cls.port = net.free_port()
        cls.gw = gateway.Gateway(gateway.relay_config(cls.port, address, **cls.config_kw), cls.port,
                                 env=cls.gateway_env)
        try:
            cls.gw.start()
        except Exception:
            if cls.upstream:
                cls.upstream.close()
            raise

    @classmethod
    def tearDownClass(cls):
        code = cls.gw.stop()
        if getattr(cls, "_dump_log", False) or code not in (0, None):
            sys.stderr.write("\n---- mtedge log (exit %s) ----\n%s\n" % (code, cls.gw.output()[-20000:]))
        cls.gw.log.close()
        if cls.upstream:
            cls.upstream.close()
        # A clean exit on SIGTERM is part of the contract (and where sanitizers report).
        if code not in (0, None):
            raise AssertionError("mtedge exited with %s on SIGTERM" % code)

    def tearDown(self):
        result = getattr(self._outcome, "result", None)
        if result is not None:
            failed = any(t is self for t, _ in list(result.errors) + list(result.failures))
            if failed:
                type(self)._dump_log = True
        self.assertTrue(self.gw.alive(), "mtedge died")
