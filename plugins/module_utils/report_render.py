# Copyright: fleetbench developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report dict rendered as Markdown, self-contained HTML and JSON.

Templates ship with the collection (report_templates/). StrictUndefined makes a missing
value an error at render time instead of an empty cell, and check_rendered() refuses output
that still holds a template or shell expression (a literal `$(date)` once reached a header).
"""
from __future__ import annotations

import json
import pathlib
import re
import typing as t

try:
    import jinja2
except ImportError:  # pragma: no cover - jinja2 comes with ansible-core
    jinja2 = None

from ansible_collections.fleetbench.llm.plugins.module_utils.report_charts import render_charts
from ansible_collections.fleetbench.llm.plugins.module_utils.report_format import milliseconds, number, p_value, percent

TEMPLATES = pathlib.Path(__file__).resolve().parent / "report_templates"
_UNEXPANDED = re.compile(r"\{\{|\{%|\$\(|\$\{|`date`")


class RenderError(RuntimeError):
    """The rendered report is not fit to publish; the message says where."""


def markdown_cell(value: t.Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _environment(html: bool) -> jinja2.Environment:
    if jinja2 is None:
        raise RenderError("rendering the report needs jinja2 on the controller")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(number=number, ms=milliseconds, pct=percent, p=p_value, md=markdown_cell)
    return env


def render_markdown(report: t.Mapping[str, t.Any]) -> str:
    return check_rendered("report.md", _environment(False).get_template("report.md.j2").render(r=report))


def render_html(report: t.Mapping[str, t.Any]) -> str:
    charts = render_charts(report)
    html = _environment(True).get_template("report.html.j2").render(r=report, charts=charts)
    return check_rendered("report.html", html, skip_svg=True)


def render_json(report: t.Mapping[str, t.Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=True, allow_nan=False) + "\n"


def check_rendered(name: str, text: str, skip_svg: bool = False) -> str:
    """Raise when the output still holds an unexpanded template or shell expression."""
    scanned = re.sub(r"<svg.*?</svg>", "", text, flags=re.S) if skip_svg else text
    match = _UNEXPANDED.search(scanned)
    if match:
        line = scanned.count("\n", 0, match.start()) + 1
        raise RenderError(f"{name} line {line}: unexpanded expression {match.group(0)!r} in the rendered report")
    return text
