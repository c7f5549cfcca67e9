"""Helpers for mtedge's integration tests: ports, configs, the real binary, client codecs
and a test upstream. Standard library only (run with Debian's /usr/bin/python3)."""
