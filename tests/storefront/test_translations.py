"""Every string a shopper reads is translated, and the catalogues say the same things in every language."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import shopbridge

PACKAGE = Path(shopbridge.__file__).parent
TRANSLATIONS = PACKAGE / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def _catalogue(path: Path):
    with path.open("rb") as fh:
        return read_po(fh)


def _ids(message_id) -> tuple[str, ...]:
    return tuple(message_id) if isinstance(message_id, (list, tuple)) else (message_id,)


def test_every_marked_string_is_in_the_template_catalogue():
    template = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue(TRANSLATIONS / "messages.pot") if m.id}
    method_map = [("**.html", "jinja2"), ("**.py", "python")]
    missing = set()
    for folder in (PACKAGE,):  # storefront, admin, e-mails: everything a person reads
        for _file, _line, message, _comments, _ctx in extract_from_dir(folder, method_map, keywords=KEYWORDS):
            first = message if isinstance(message, str) else message[0]
            if first not in template:
                missing.add(first)
    assert not missing, f"run the extraction in docs/translations.md; not in messages.pot: {sorted(missing)}"


def test_every_language_translates_every_string_with_the_same_placeholders():
    template = _catalogue(TRANSLATIONS / "messages.pot")
    wanted = {m.id if isinstance(m.id, str) else tuple(m.id) for m in template if m.id}
    languages = [p.parent.parent.name for p in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")]
    assert "it" in languages
    for lang in languages:
        catalogue = _catalogue(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po")
        found = {}
        for m in catalogue:
            if m.id:
                found[m.id if isinstance(m.id, str) else tuple(m.id)] = m
        untranslated = [k for k in wanted if k not in found or m_is_empty(found[k])]
        assert not untranslated, f"{lang}: untranslated {untranslated}"
        for key in wanted:
            message = found[key]
            source = set(PLACEHOLDER.findall(" ".join(_ids(message.id))))
            for text in _ids(message.string):
                assert set(PLACEHOLDER.findall(text)) <= source | {"num"}, (lang, key, text)
                assert source - {"num"} <= set(PLACEHOLDER.findall(text)), (lang, key, text)


def m_is_empty(message) -> bool:
    return message.fuzzy or not all(_ids(message.string))


def test_the_footer_offers_every_language_named_in_itself(client, parse):
    page = parse(client.get("/"))
    links = {a.get("hreflang"): a.text_content().strip() for a in page.xpath("//nav[@class='language-switch']/a")}
    assert links == {"en": "English", "it": "Italiano"}
    italian = parse(client.get("/?lang=it"))
    assert italian.xpath("//nav[@class='language-switch']/a[@aria-current]/@hreflang") == ["it"]
    assert italian.xpath("//h2[@id='featured-title']")[0].text_content() == "Novità"
