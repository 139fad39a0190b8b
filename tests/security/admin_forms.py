"""Post an admin change form as a browser would: every field and inline with the values it shows."""

from __future__ import annotations

import datetime


def _encode(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else None
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return str(value)


def _form_fields(form, data: dict) -> None:
    for bound in form:
        value = _encode(bound.value())
        if value is not None:
            data[bound.html_name] = value


def admin_form_data(response, **changes) -> dict:
    """The POST data of the admin change/add page ``response`` (rendered by the test client), with
    ``changes`` (field name -> value) applied to the main form."""
    assert response.status_code == 200, response.status_code
    context = response.context
    data: dict = {}
    _form_fields(context["adminform"].form, data)
    for inline in context.get("inline_admin_formsets", []):
        formset = inline.formset
        _form_fields(formset.management_form, data)
        for form in formset.forms:
            _form_fields(form, data)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data
