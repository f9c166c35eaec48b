"""The forms of "Your consent": each carries Flask-WTF's CSRF token."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from .identity import TOKEN_MAX


class TokenForm(FlaskForm):
    """A pasted token, to show the consent it proves."""

    token = TextAreaField(validators=[DataRequired(), Length(max=TOKEN_MAX)])


class ActionForm(FlaskForm):
    """Download or withdraw: the token rides along in a hidden field."""

    token = HiddenField(validators=[DataRequired(), Length(max=TOKEN_MAX)])


class EraseForm(ActionForm):
    """Erase: the visitor must tick that they understand it cannot be undone."""

    confirm = BooleanField(validators=[DataRequired()])
