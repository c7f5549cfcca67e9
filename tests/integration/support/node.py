"""Node packages for the interoperability tests, installed with npm into one git-ignored
folder: $MTEDGE_NODE_DIR, else .cache/node in the checkout (where `make test` puts them, see
the Makefile's node-deps)."""
import json
import os
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def installed_version(modules, package):
    try:
        with open(os.path.join(modules, package, "package.json")) as f:
            return json.load(f).get("version")
    except (OSError, ValueError):
        return None


def node_modules(package, version):
    """The node_modules folder holding `package` at exactly `version`; runs `npm install` when
    it is missing or another version, and raises naming the step if npm cannot."""
    root = os.environ.get("MTEDGE_NODE_DIR") or os.path.join(REPO, ".cache", "node")
    modules = os.path.join(root, "node_modules")
    if installed_version(modules, package) != version:
        os.makedirs(root, exist_ok=True)
        spec = "%s@%s" % (package, version)
        try:
            p = subprocess.run(["npm", "install", "--prefix", root, "--no-audit", "--no-fund",
                                "--loglevel=error", spec],
                               capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise RuntimeError("npm install %s failed: %s" % (spec, e))
        if p.returncode != 0:
            raise RuntimeError("npm install %s failed:\n%s%s" % (spec, p.stdout, p.stderr))
        if installed_version(modules, package) != version:
            raise RuntimeError("npm install %s left %s at %s"
                               % (spec, package, installed_version(modules, package)))
    return modules
