"""The reporting layer: monthly licence reports from the stored seat history (``seatkeeper report``).

Data flows one way: :mod:`.figures` aggregates the history in SQL as of a month's end, :mod:`.build`
prices it into a :class:`~.model.Report`, and :mod:`.render` (HTML, Markdown through Jinja2) or
:mod:`.exports` (JSON, CSV) writes it. :mod:`.settings` reads ``[prices]`` and ``[reports]`` from the
config file; :mod:`.generate` ties it together for the CLI and the demo. See docs/reports.md.
"""

from .build import build_report
from .figures import Scope
from .generate import ReportFormat, default_path, write_report, write_report_file
from .period import ReportMonth, last_full_month, parse_month
from .settings import ReportSettings, report_settings

__all__ = [
    "ReportFormat",
    "ReportMonth",
    "ReportSettings",
    "Scope",
    "build_report",
    "default_path",
    "last_full_month",
    "parse_month",
    "report_settings",
    "write_report",
    "write_report_file",
]
