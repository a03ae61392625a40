"""Helpers shared by every pillar's forms."""


def attach_error(form, error, default_field):
    """Show a DomainError under the form field it names (`error.field`), else under `default_field`."""
    field = form._fields.get(error.field or default_field) or form._fields[default_field]
    field.errors = [*field.errors, error.message]
