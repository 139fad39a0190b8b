"""Form widgets of the portal's filters."""

from __future__ import annotations

import html

from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe


def _escaped(value) -> str:
    return html.escape(value) if type(value) is str else conditional_escape(str(value))


def _attributes(attrs: dict) -> str:
    parts = []
    for name, value in attrs.items():
        if value is True:
            parts.append(f" {name}")
        elif value is not False and value is not None:
            parts.append(f' {name}="{_escaped(value)}"')
    return "".join(parts)


class PlainSelect(forms.Select):
    """A ``<select>`` written directly in Python, with the markup of Django's template widget (one
    ``selected`` option at most). A province's 2,285 villages rendered option by option through the
    template engine cost about a second of every list page."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        wanted = {str(item) for item in self.format_value(value)}
        parts = [f'<select name="{_escaped(name)}"{_attributes(attrs)}>']

        def option(option_value, label) -> str:
            text = "" if option_value is None else str(option_value)
            selected = ""
            if text in wanted:
                wanted.clear()  # like Django's Select: only the first match is selected
                selected = " selected"
            return f'<option value="{_escaped(text)}"{selected}>{_escaped(label)}</option>'

        for option_value, label in self.choices:
            if isinstance(label, (list, tuple)):
                parts.append(f'<optgroup label="{_escaped(option_value)}">')
                parts.extend(option(value_, label_) for value_, label_ in label)
                parts.append("</optgroup>")
            else:
                parts.append(option(option_value, label))
        parts.append("</select>")
        return mark_safe("\n".join(parts))
