"""Offline stand-in for the pip bootstrap script that `ansible-test` downloads.

ansible-test builds a venv per sanity test and bootstraps pip in it by running a script it
fetches from a host this kind of machine cannot reach; it first looks for a cached copy under
~/.ansible/test/cache/. This file is installed there. It gives the venv a pip through
`ensurepip`, then runs that pip with the arguments ansible-test passed (the `--no-setuptools`
/ `--no-wheel` flags belong to get-pip.py only), so packages still come from the configured
package index.
"""
import os
import subprocess
import sys

GET_PIP_ONLY_FLAGS = {"--no-setuptools", "--no-wheel"}


def main() -> int:
    saved_environ = dict(os.environ)
    import ensurepip  # ensurepip clears PIP_* variables and the pip config it would honour

    ensurepip.bootstrap(upgrade=True)
    os.environ.clear()
    os.environ.update(saved_environ)
    args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY_FLAGS]
    return subprocess.call([sys.executable, "-m", "pip", "install", *args])


if __name__ == "__main__":
    sys.exit(main())
