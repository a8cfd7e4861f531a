# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report dict rendered as Markdown, self-contained HTML and JSON.

Templates ship with the collection (report_templates/). StrictUndefined makes a missing
value an error at render time instead of an empty cell, and check_rendered() refuses output
that still holds a template or shell expression (a literal `$(date)` once reached a header).

Every value a template prints is data and is escaped on the way out (the environment's
finalize): HTML entities in report.html, backslash escapes in report.md. The escapes also
cover `{`, `$` and backticks, so what check_rendered() finds can only come from the templates themselves:
a host named `{{ x }}` renders as that text instead of failing the report.
"""
from __future__ import annotations

import json
import math
import pathlib
import re
import typing as t

try:
    import jinja2
    from markupsafe import Markup, escape
except ImportError:  # pragma: no cover - jinja2 comes with ansible-core
    jinja2 = None

from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.charts import render_charts
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.fleet_view import fleet_view
from ansible_collections.fleetbench.llm.plugins.plugin_utils.report.format import milliseconds, number, p_value, percent

TEMPLATES = pathlib.Path(__file__).resolve().parent / "report_templates"
# An escaped `\$(` or `\{%` in report.md is data shown as text, not an expression left over.
_UNEXPANDED = re.compile(r"(?<!\\)(?:\{\{|\{%|\$\(|\$\{)|`date`")
# CommonMark punctuation that can start markup mid-line (emphasis, code, links, raw HTML, table
# cells, GFM strikethrough and maths), plus `{` and `$`; `_` only where it can open emphasis.
_MARKDOWN_SPECIAL = re.compile(r"[\\`*{}\[\]<>|$~&#]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")


class RenderError(RuntimeError):
    """The rendered report is not fit to publish; the message says where."""


class MarkdownText(str):
    """Markdown the template means (e.g. bold around a value): printed without escaping."""


def markdown_text(value: t.Any) -> str:
    """A value as Markdown text that renders exactly as the value: one line, no markup, no HTML."""
    if isinstance(value, MarkdownText):
        return value
    flat = " ".join(str(value).split())
    return _MARKDOWN_SPECIAL.sub(lambda match: "\\" + match.group(0), flat)


def bold(value: t.Any) -> MarkdownText:
    return MarkdownText(f"**{markdown_text(value)}**")


def html_text(value: t.Any) -> Markup:
    """A value as HTML text; `{`, `$` and backticks as entities (shown the same), so data never reads as an expression."""
    if isinstance(value, Markup):
        return value
    return Markup(str(escape(value)).replace("{", "&#123;").replace("$", "&#36;").replace("`", "&#96;"))


def _environment(html: bool) -> jinja2.Environment:
    if jinja2 is None:
        raise RenderError("rendering the report needs jinja2 on the controller")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        autoescape=html,
        finalize=_finalizer(html),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(number=number, ms=milliseconds, pct=percent, p=p_value, bold=bold)
    return env


def _finalizer(html: bool) -> t.Callable[[t.Any], t.Any]:
    escape_value = html_text if html else markdown_text

    def finalize(value: t.Any) -> t.Any:
        # An Undefined goes on unchanged, so StrictUndefined still fails at the missing value.
        return value if isinstance(value, jinja2.Undefined) else escape_value(value)

    return finalize


def render_markdown(report: t.Mapping[str, t.Any]) -> str:
    markdown = _environment(False).get_template("report.md.j2").render(r=report, v=fleet_view(report))
    return check_rendered("report.md", markdown)


def render_html(report: t.Mapping[str, t.Any]) -> str:
    charts = render_charts(report)
    html = _environment(True).get_template("report.html.j2").render(r=report, v=fleet_view(report), charts=charts)
    return check_rendered("report.html", html, skip_svg=True)


def render_json(report: t.Mapping[str, t.Any]) -> str:
    return json.dumps(finite_or_null(report), indent=2, sort_keys=True, allow_nan=False) + "\n"


def finite_or_null(value: t.Any) -> t.Any:
    """`value` with every NaN or infinity replaced by None: JSON has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, t.Mapping):
        return {key: finite_or_null(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_null(item) for item in value]
    return value


def check_rendered(name: str, text: str, skip_svg: bool = False) -> str:
    """Raise when the output still holds an unexpanded template or shell expression."""
    scanned = re.sub(r"<svg.*?</svg>", "", text, flags=re.S) if skip_svg else text
    match = _UNEXPANDED.search(scanned)
    if match:
        line = scanned.count("\n", 0, match.start()) + 1
        raise RenderError(f"{name} line {line}: unexpanded expression {match.group(0)!r} in the rendered report")
    return text
