"""Rendering a report with Jinja2: HTML (autoescaped) and Markdown (every value escaped for GFM tables).

Templates live in ``templates/``. A user's template folder (``--template-dir`` or ``[reports] template_dir``)
comes first in a ``ChoiceLoader``, so overriding one partial such as ``_seats_table.html`` works without
copying the rest; ``{% extends "builtin/report.html" %}`` reaches the built-in version of a template that the
user's folder replaces. Templates run in Jinja2's immutable sandbox: they read the report, but cannot reach
Python internals (``__class__``, ``__globals__``) or change the data. Any failure of a template is a
ConfigError naming the template file and line.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox
import markupsafe

from seatkeeper.errors import ConfigError, first_line

from . import charts
from .figures import FIXED_CATEGORIES
from .markdown import MarkdownText, code, escape_markdown
from .model import Report
from .wording import (
    ALERT_LABELS,
    CHANGE_LABELS,
    STATUS_LABELS,
    VERDICT_LABELS,
    format_cost,
    format_count,
    format_day,
    format_money,
    format_signed,
    format_signed_money,
    format_when,
    total_cost,
)

TEMPLATES = Path(__file__).parent / "templates"
BAR = "█"


class TemplateFolder(jinja2.FileSystemLoader):
    """A folder of UTF-8 templates: a file that is not UTF-8 is a ConfigError naming it."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        """The template's text, file name and up-to-date check (see :class:`jinja2.FileSystemLoader`)."""
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError as error:
            path = next(
                (
                    candidate
                    for folder in self.searchpath
                    if os.path.isfile(candidate := os.path.join(folder, *jinja2.loaders.split_template_path(template)))
                ),
                template,
            )
            raise ConfigError(f"template {path} is not UTF-8 text (byte {error.start}): save it as UTF-8") from None


def environment(template_dir: Path | None, markdown: bool) -> jinja2.sandbox.ImmutableSandboxedEnvironment:
    """A sandboxed Jinja environment over the built-in templates, with ``template_dir``'s taking precedence.

    HTML templates (``.html``) are autoescaped; for Markdown every printed value goes through
    :func:`~seatkeeper.reports.markdown.escape_markdown` unless it is :class:`MarkdownText`.
    """
    builtin = TemplateFolder(TEMPLATES)
    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None:
        if not template_dir.is_dir():
            raise ConfigError(f"template folder {template_dir} does not exist or is not a folder")
        loaders.append(TemplateFolder(template_dir))
    loaders += [builtin, jinja2.PrefixLoader({"builtin": builtin})]
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=False if markdown else jinja2.select_autoescape(["html", "htm", "xml", "svg"]),
        finalize=escape_markdown if markdown else None,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    wrap: Callable[[Callable[..., str]], Callable[..., Any]] = _as_markdown if markdown else (lambda f: f)
    env.filters.update(
        count=wrap(format_count),
        day=wrap(format_day) if markdown else _html_time(format_day, "%Y-%m-%d"),
        when=wrap(format_when) if markdown else _html_time(format_when, "%Y-%m-%dT%H:%MZ"),
        yesno=wrap(lambda value: "yes" if value else "no"),
    )
    env.filters["money"] = wrap(jinja2.pass_context(lambda ctx, value: format_money(value, ctx["report"].currency)))
    env.filters["cost"] = wrap(
        jinja2.pass_context(lambda ctx, value, unpriced=0: format_cost(value, unpriced, ctx["report"].currency))
    )
    env.filters["total_cost"] = wrap(
        jinja2.pass_context(lambda ctx, totals, field="monthly_cost": total_cost(totals, field, ctx["report"].currency))
    )
    env.filters["amount"] = wrap(format_money)  # money in a currency of its own: {{ value|amount("EUR") }}
    env.filters["signed"] = wrap(format_signed)
    env.filters["signed_money"] = wrap(
        jinja2.pass_context(lambda ctx, value: format_signed_money(value, ctx["report"].currency))
    )
    if markdown:
        env.filters["code"] = code
        env.filters["bar"] = text_bar
        env.filters["md"] = MarkdownText  # for a user template that builds Markdown itself: mark it as such
    env.globals.update(
        change_labels=CHANGE_LABELS,
        status_labels=STATUS_LABELS,
        fixed_categories=FIXED_CATEGORIES,
        alert_labels=ALERT_LABELS,
        verdict_labels=VERDICT_LABELS,
    )
    return env


def render_html(report: Report, template_dir: Path | None = None) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, no scripts, no external files)."""
    env = environment(template_dir, markdown=False)
    return _render(env, "report.html", report=report, charts=_charts(report))


def render_markdown(report: Report, template_dir: Path | None = None) -> str:
    """The report as GitHub-flavoured Markdown."""
    env = environment(template_dir, markdown=True)
    return _render(env, "report.md", report=report)


def _render(env: jinja2.Environment, name: str, **context: Any) -> str:
    try:
        return env.get_template(name).render(**context)
    except ConfigError:
        raise
    except jinja2.TemplateSyntaxError as error:
        raise ConfigError(
            f"template {error.filename or error.name or name} line {error.lineno}: {error.message}"
        ) from None
    except RecursionError as error:
        where = _template_frame(error) or f"template {name}"
        raise ConfigError(f"{where}: extends or includes itself (directly or through other templates)") from None
    except jinja2.TemplateNotFound as error:
        where = _template_frame(error) or f"template {name}"
        raise ConfigError(f"{where}: template {error.name!r} not found in the template folders") from None
    except jinja2.TemplateError as error:  # undefined names, unsafe access (the sandbox), unknown filters
        where = _template_frame(error) or f"template {name}"
        raise ConfigError(f"{where}: {first_line(error)}") from None
    except Exception as error:  # anything a template's expression raised: a user's template is bad input
        where = _template_frame(error) or f"template {name}"
        raise ConfigError(f"{where}: {type(error).__name__}: {first_line(error)}") from None


def _template_frame(error: BaseException) -> str | None:
    """``template FILE line N`` of the innermost template frame in ``error``'s traceback (Jinja puts the
    template's file and line into the frames it rewrites), or None."""
    found = None
    tb = error.__traceback__
    while tb is not None:
        if "__jinja_exception__" in tb.tb_frame.f_globals:
            found = f"template {tb.tb_frame.f_code.co_filename} line {tb.tb_lineno}"
        tb = tb.tb_next
    return found


def _as_markdown(function: Callable[..., str]) -> Callable[..., MarkdownText]:
    # Numbers, dates and money are built from digits, separators and a validated currency code only.
    def wrapped(*args: Any, **kwargs: Any) -> MarkdownText:
        return MarkdownText(function(*args, **kwargs))

    for attribute in ("jinja_pass_arg",):
        if hasattr(function, attribute):
            setattr(wrapped, attribute, getattr(function, attribute))
    return wrapped


# ---- formatting ---------------------------------------------------------------------------------------------------


def _html_time(format_text: Callable[[datetime | None], str], machine: str) -> Callable[[datetime | None], Any]:
    """A date filter for HTML: the text in a ``<time>`` element, which the print style keeps on one line."""

    def time_element(value: datetime | None) -> Any:
        if value is None:
            return format_text(value)
        return markupsafe.Markup('<time datetime="{}">{}</time>').format(value.strftime(machine), format_text(value))

    return time_element


def text_bar(value: int | float | Decimal | None, peak: int | float | Decimal | None, width: int = 20) -> MarkdownText:
    """A bar of block characters, ``width`` long at ``peak`` (Markdown has no charts)."""
    if not value or not peak:
        return MarkdownText("")
    return MarkdownText(BAR * max(1, round(float(value) / float(peak) * width)))


# ---- charts -----------------------------------------------------------------------------------------------------


def _charts(report: Report) -> dict[str, Any]:
    def money(value: Any) -> str:
        return format_money(Decimal(value), report.currency)

    trend = report.trend
    result: dict[str, Any] = {
        "billable_trend": charts.column_chart(
            "chart-billable-trend",
            "Billable seats at each month's end",
            [charts.Bar(_short_month(p.month), p.billable if p.has_data else None) for p in trend],
            describe=lambda value: f"{int(value):,}",
        ),
        "cost_trend": None,
        "department_chart": None,
    }
    if report.currency:
        result["cost_trend"] = charts.column_chart(
            "chart-cost-trend",
            f"Monthly cost at each month's prices ({report.currency})",
            [charts.Bar(_short_month(p.month), p.monthly_cost if p.has_data else None) for p in trend],
            describe=lambda value: f"{Decimal(value):,.0f}",
        )
    departments = report.departments[:12]
    if departments:
        by_cost = bool(report.currency) and any(d.monthly_cost for d in departments)
        result["department_chart"] = charts.row_chart(
            "chart-departments",
            "Monthly cost by department" if by_cost else "Billable seats by department",
            [
                charts.Bar(d.department or "(no department)", d.monthly_cost if by_cost else d.billable)
                for d in departments
            ],
            describe=money if by_cost else (lambda value: f"{int(value):,}"),
        )
    return result


def _short_month(label: str) -> str:
    return datetime.strptime(label, "%Y-%m").strftime("%b %y")
