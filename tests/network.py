"""Whether the package index can be reached (tests marked ``network`` skip when it cannot)."""

import urllib.request


def index_reachable(package: str) -> bool:
    """True when PyPI answers for ``package`` within 10 s."""
    try:
        urllib.request.urlopen(f"https://pypi.org/simple/{package}/", timeout=10)
        return True
    except OSError:
        return False
