"""Helpers shared by every pillar's views and forms: the CSRF-only form, query arguments, and the one way a view
runs a service and turns a broken rule (DomainError) into a message."""

import math
from dataclasses import dataclass
from typing import Any

from flask import flash, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import FloatField, IntegerField
from wtforms.csrf.core import CSRFTokenField
from wtforms.widgets import HiddenInput, Select, html_params

from portal import db
from portal.errors import DomainError
from portal.formatting import options
from portal.htmx import is_htmx


class _HiddenInputWithoutId(HiddenInput):
    """The CSRF token is never a label's target; without an id, several forms on one page keep their ids unique."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", False)
        return super().__call__(field, **kwargs)


CSRFTokenField.widget = _HiddenInputWithoutId()


class QuickSelect(Select):
    """A select of plain (value, label) choices whose options are written from escaped pieces kept per list of
    choices (formatting.options): WTForms writes each option through its attribute formatter, and a post form's
    few hundred toolkit items and handbook sections cost 40 ms a page that way."""

    def __call__(self, field, **kwargs):
        if field.has_groups():
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        if self.multiple:
            kwargs["multiple"] = True
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        chosen = set(field.data or ()) if self.multiple else field.data
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>"  # noqa: S704  # nosec B704  # escaped
                      f"{options([(v, str(label)) for v, label in field.choices], chosen)}</select>")


class EmptyForm(FlaskForm):
    """A POST that carries nothing but its CSRF token."""


def db_int(value):
    """`coerce=` for choice fields that carry ids or numbers: a whole number the database can store, else ValueError
    (WTForms turns it into an invalid-choice error). 400 digits or 2**70 must be a message, never an OverflowError."""
    number = int(str(value).strip())
    if not -db.MAX_INT <= number <= db.MAX_INT:
        raise ValueError("out of range")
    return number


def db_int_or_none(value):
    """Like `db_int`, with "" and "None" (the empty option of a select) read as None."""
    return None if value in (None, "", "None") else db_int(value)


class BoundedIntegerField(IntegerField):
    """An IntegerField that refuses what the database cannot store (and what NumberRange cannot compare) with our
    translated message, before any validator runs."""

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] in ("", None):
            return super().process_formdata(valuelist)
        try:
            self.data = db_int(valuelist[0])
        except ValueError as error:
            self.data = None
            raise ValueError(_l("Isi dengan bilangan bulat yang wajar.")) from error


class FiniteFloatField(FloatField):
    """A FloatField that refuses NaN and infinities (NumberRange lets NaN through: any comparison with it is false)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not math.isfinite(self.data):
            self.data = None
            raise ValueError(_l("Isi dengan angka yang wajar."))


def valid_choice(value, allowed):
    """`value` when it is one of `allowed` (ids or codes the user may choose), else None: for foreign ids from a form
    that the service then treats as "not chosen" or refuses with a message."""
    return value if value in set(allowed) else None


def int_arg(name, default=None, low=1, high=db.MAX_INT, values=None):
    """A whole-number query argument (or one of `values`, e.g. request.form) within [low, high], else `default`
    (never an error: it is only a filter or a place to go back to)."""
    try:
        value = int((request.args if values is None else values).get(name, ""))
    except ValueError:
        return default
    return value if low <= value <= high else default


def attach_error(form, error, default_field):
    """Show a DomainError under the form field it names (`error.field`), else under `default_field`."""
    field = form._fields.get(error.field or default_field) or form._fields[default_field]
    field.errors = [*field.errors, error.message]


@dataclass
class Outcome:
    """What `perform` returns: `ok` and the service's `value`, or the `error` that was shown."""

    ok: bool
    value: Any = None
    error: DomainError | None = None

    def __bool__(self):
        return self.ok


def perform(service, *args, form=None, field=None, **kwargs):
    """Run one service call of a view. A DomainError rolls the use case back and is shown: under `field` (or the
    field the error names) of `form`, or as a flash message when no form is given."""
    try:
        return Outcome(True, service(*args, **kwargs))
    except DomainError as error:
        db.rollback()
        if form is not None and field is not None:
            attach_error(form, error, field)
        else:
            flash(error.message, "error")
        return Outcome(False, error=error)


def form_status(form=None, error=None):
    """Status of a page that shows a form: 422 after a rejected POST, else 200. htmx swaps only successful
    responses, so a rejected form sent by htmx is 200 too (its block shows the errors)."""
    if request.method != "POST" or is_htmx():
        return 200
    rejected = error is not None or (form is not None and bool(form.errors))
    return 422 if rejected else 200
