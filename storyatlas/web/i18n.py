"""The interface's languages: catalogs in locales/*.json, chosen from ?lang=, a cookie,
or the browser's Accept-Language; dates and numbers formatted by Babel."""

from __future__ import annotations

import functools
import json
import string
from importlib import resources
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent, get_decimal_symbol, get_group_symbol

from storyatlas.errors import Named, Said, reason, shown

DEFAULT = "en"
COOKIE = "lang"


@functools.cache
def catalogs() -> dict[str, dict[str, str]]:
    found = {}
    for entry in resources.files("storyatlas.web").joinpath("locales").iterdir():
        if entry.name.endswith(".json"):
            found[entry.name[:-5]] = json.loads(entry.read_text(encoding="utf-8"))
    return found


@functools.cache
def _by_english(folder: str) -> dict[str, dict[str, str]]:
    entries = resources.files("storyatlas.web").joinpath("locales", folder).iterdir()
    return {entry.name[:-5]: json.loads(entry.read_text(encoding="utf-8"))
            for entry in entries if entry.name.endswith(".json")}


def error_catalogs() -> dict[str, dict[str, str]]:
    """The library's messages (``errors.said``) in each language but English, by English template."""
    return _by_english("errors")


def theme_catalogs() -> dict[str, dict[str, str]]:
    """The shipped themes' descriptions in each language but English, by English description:
    one a moderator has edited is not found, and shows as written rather than a stale translation."""
    return _by_english("themes")


def languages() -> list[tuple[str, str]]:
    """(code, own name) of each interface language."""
    return sorted((code, c["_name"]) for code, c in catalogs().items())


def negotiate(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    available = catalogs()
    for choice in (query, cookie):
        if choice in available:
            return choice
    weighted = []
    for part in (accept_language or "").split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        if weight > 0:  # q=0: "not this one" (RFC 9110)
            weighted.append((weight, tag.strip().lower()))
    for _, tag in sorted(weighted, key=lambda w: -w[0]):
        code = tag.split("-")[0]
        if code in available:
            return code
    return DEFAULT


def request_language(request) -> str:
    """The interface language a request asks for: ?lang=, then the cookie, then the browser."""
    return negotiate(request.query_params.get("lang"), request.cookies.get(COOKIE),
                     request.headers.get("accept-language"))


@functools.lru_cache(maxsize=4096)
def _decimal(value: float, locale: Locale) -> str:
    # a search page shows eighty counts; babel took 12 µs for each
    return format_decimal(value, locale=locale)


def sentence(message: str) -> str:
    """A library message standing alone: it starts in lower case, to follow a file's name."""
    return message[:1].upper() + message[1:]


# the catalog keys that name a code of each kind (``Translator.name``)
_NAMES = {"consent field": "consent.field.", "visibility": "consent.", "requested_visibility": "consent.",
          "storyteller_naming": "consent.naming.", "exportable": "consent.exportable.", "review": "review."}


class Translator:
    """Message lookup and formatting for one interface language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.messages = catalogs()[lang]
        self.fallback = catalogs()[DEFAULT]
        try:
            self.locale = Locale.parse(lang)
        except (UnknownLocaleError, ValueError):
            self.locale = Locale.parse(DEFAULT)

    def __call__(self, key: str, **values: Any) -> str:
        text = self.messages.get(key) or self.fallback.get(key) or key
        return text.format(**values) if values else text

    def said(self, message: str | None) -> str:
        """A library message (``errors.said``) in the reader's language; other text as it is."""
        if not isinstance(message, Said):
            return message or ""
        template = error_catalogs().get(self.lang, {}).get(message.template, message.template)
        values = {k: shown(v, self.said) if isinstance(v, list) else self.said(v) if isinstance(v, Said)
                  else self.name(v.kind, v.value, v) if isinstance(v, Named) else v
                  for k, v in message.values.items()}
        return template.format(**values) if self.lang == DEFAULT else _Numbers(self.locale).format(template, **values)

    def theme_description(self, description: str) -> str:
        return theme_catalogs().get(self.lang, {}).get(description, description)

    def error(self, exc: BaseException) -> str:
        """What went wrong, in the reader's language, without a path on the server it names."""
        return self.said(reason(exc))

    def roles(self, roles: Any) -> str:
        """A person's roles (pairs of role and community) as read: "moderator of Zgorzelec, researcher"."""
        parts = [self("admin.role_of", role=self("roles." + role), community=community) if community
                 else self("roles." + role) for role, community in roles]
        return ", ".join(parts) or self("admin.no_role")

    def name(self, kind: str, value: Any, english: str | None = None) -> str:
        """A code as the reader calls it: a person's roles, a review state, a consent field
        ("consent field") or one of its values (by the field); one the catalogs lack, as it is."""
        if kind == "roles":
            return self.roles(value)
        if value is None:
            return "–"
        if kind == "embargo_until":
            return self.date(value)
        key = _NAMES.get(kind, kind + ".") + str(value)
        return self(key) if key in self.fallback else english if english is not None else str(value)

    def audit_action(self, action: str) -> str:
        """An audit log entry's action (a code such as "sign-in") as read; one it does not know, as it is."""
        key = "audit." + action.replace(" ", "_").replace("-", "_")
        return self(key) if key in self.fallback else action

    def number(self, value: float) -> str:
        return _decimal(value, self.locale)

    def percent(self, fraction: float) -> str:
        return format_percent(fraction, locale=self.locale)

    def date(self, iso: str | None) -> str:
        """A full or partial ISO date (2026, 2026-03, 2026-03-14) in the reader's language."""
        if not iso:
            return ""
        parts = iso.split("-")
        try:
            from datetime import date

            if len(parts) == 1:
                return parts[0]
            if len(parts) == 2:
                return format_date(date(int(parts[0]), int(parts[1]), 1), "LLLL y", locale=self.locale)
            return format_date(date.fromisoformat(iso[:10]), "long", locale=self.locale)
        except ValueError:
            return iso

    def language_name(self, code: str | None) -> str:
        return _language_name(code, self.lang) if code else ""

    def country_name(self, code: str | None) -> str:
        return _country_name(code.upper(), self.lang) if code else ""

    def place_name(self, name: str) -> str:
        """A place as typed (a community, a region, a collection), a country code by its
        name; a two-letter town that is no country's code ("Ry", in Denmark) as typed."""
        if len(name) == 2 and name.isalpha():
            country = self.country_name(name)
            if country != name.upper():
                return country
        return name

    def place(self, place: Any) -> str:
        """A story's place (``records.Place``) as read: community, region, country by name."""
        return ", ".join(p for p in (place.community, place.region, self.country_name(place.country)) if p)


class _Numbers(string.Formatter):
    """Formats a template's numbers with the locale's marks: "4,096.5" reads "4.096,5" in German."""

    def __init__(self, locale: Locale) -> None:
        self.marks = str.maketrans({",": get_group_symbol(locale), ".": get_decimal_symbol(locale)})

    def format_field(self, value: Any, format_spec: str) -> str:
        text = super().format_field(value, format_spec)
        return text.translate(self.marks) if isinstance(value, (int, float)) else text


@functools.lru_cache(maxsize=4096)
def _language_name(code: str, lang: str) -> str:
    try:
        return Locale.parse(code).get_display_name(Locale.parse(lang)) or code
    except (UnknownLocaleError, ValueError):
        return code


@functools.lru_cache(maxsize=4096)
def _country_name(code: str, lang: str) -> str:
    try:
        return Locale.parse(lang).territories.get(code, code)
    except (UnknownLocaleError, ValueError):
        return code
