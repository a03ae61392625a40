"""Language choice: ?lang=id|en switches and is remembered in the session and on the account."""

from flask import current_app, g, has_request_context, request, session
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup


def select_locale():
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    lang = request.args.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        return lang
    if session.get("lang") in current_app.config["LANGUAGES"]:
        return session["lang"]
    if getattr(current_user, "is_authenticated", False):
        return current_user.preferred_language
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def remember_language():
    """?lang= on any page switches the language for this browser session. A GET never writes the database (a
    cross-site image request could otherwise change the account); the account's preference is set on the
    profile page."""
    lang = request.args.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang


def lang_url(lang):
    """The current URL with ?lang= replaced."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    from urllib.parse import urlencode

    return request.path + "?" + urlencode(args, doseq=True)


CONTENT_LANGUAGE = "id"  # handbook, quiz, toolkit and workshop texts are written in Indonesian


def content_lang():
    """` lang="id"` for an element holding Indonesian content when the interface is in another language, so that
    screen readers switch voice; nothing when the interface is Indonesian too."""
    locale = get_locale()
    if locale is None or locale.language == CONTENT_LANGUAGE:
        return ""
    return Markup(f' lang="{CONTENT_LANGUAGE}"')  # noqa: S704  # nosec B704  # a constant, no user input


def _translations():
    """Flask-Babel's translations for this request, kept beside its own locale: its `get_translations` walks the
    request context, the domain and the locale again on every call, and a page's template calls it for every
    translated string (a list of 25 people: 180 times, a third of the page). A new locale object (a language switch,
    `force_locale`, `refresh`) finds them afresh."""
    babel = g.get("_flask_babel") if g else None
    locale = getattr(babel, "babel_locale", None)
    kept = getattr(babel, "portal_translations", None)
    if kept is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()
    babel = g.get("_flask_babel") if g else None
    if babel is not None and getattr(babel, "babel_locale", None) is not None:
        babel.portal_translations = (babel.babel_locale, translations)
    return translations


def install_template_gettext(app):
    """The templates' _(), ngettext() and friends through `_translations` (the same catalogs, the same newstyle
    escaping and formatting that Flask-Babel installs). `_()` and `gettext()` are `template_gettext`."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext)


def _count_text(num):
    """A message's count as it reads in the interface language (30.029 / 30,029); anything but an int as given."""
    from portal.formatting import fmt_number

    return fmt_number(num) if type(num) is int else num


def ngettext(singular, plural, num, /, **variables):
    """Flask-Babel's ngettext, with `%(num)s` grouped for the interface language unless `num=` is given: "30.029
    pegawai" in Indonesian, "30,029" in English, where `%(num)d` printed "30029" in both. Messages with a count
    take it as `%(num)s`."""
    variables.setdefault("num", _count_text(num))
    return _translations().ungettext(singular, plural, num) % variables


@pass_context
def template_ngettext(context, singular, plural, num, /, **variables):
    """The templates' ngettext: Jinja's newstyle one (translated, Markup in an autoescaped template, %-formatted)
    with the count grouped as `ngettext` groups it."""
    text = _translations().ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704  # nosec B704  # our own catalog's message, as Jinja's ngettext marks it
    variables.setdefault("num", _count_text(num))
    return text % variables


_MEMO = "_portal_template_texts"  # attribute of a catalog: {(message, autoescape, without variables): text}
_MEMO_MAX = 10_000  # texts kept per catalog (~2,000 messages); a template translating a variable cannot grow it on


@pass_context
def template_gettext(context, message, /, **variables):
    """Jinja's newstyle `_()` (translated, Markup in an autoescaped template, always %-formatted so that "%%" reads
    the same with or without variables), with the translated text kept on the catalog: Jinja's own goes through
    two context calls and a new Markup on every call, ~7 µs; a page calls it 30 to 250 times. A catalog object
    stands for one language and is replaced when the catalogs are reloaded, so nothing kept here outlives what it
    was translated from. The catalog itself is asked for on every call (`_translations`): a macro module imported
    by a template is kept by Jinja across renders and requests, so nothing of a render may decide its language."""
    translations = _translations()
    memo = getattr(translations, _MEMO, None)
    if memo is None:
        memo = {}
        setattr(translations, _MEMO, memo)
    autoescape = context.eval_ctx.autoescape
    key = (message, autoescape, not variables)
    text = memo.get(key)
    if text is None:
        text = translations.ugettext(message)
        text = Markup(text) if autoescape else text  # noqa: S704  # nosec B704  # a catalog's text, as Jinja does
        if not variables:
            text = text % {}  # the finished text: nothing is formatted into it
        if len(memo) < _MEMO_MAX:
            memo[key] = text
    return text % variables if variables else text
