"""Test-only additions to the Google Workspace plugin's local server: fault rules and generated customers.

The shipped server (:mod:`seatkeeper_google_workspace.fake_server`) answers like Google; what misbehaves here is
installed through its ``intercept`` hook, so no test-only fault code ships with the plugin.
"""

from .customers import generate_snapshot
from .faults import Faults

__all__ = ["Faults", "generate_snapshot"]
