from flask_wtf import FlaskForm


class SettingsForm(FlaskForm):
    """E-mail per kind: the checkboxes are named `email` with the kind as value (read from request.form)."""
