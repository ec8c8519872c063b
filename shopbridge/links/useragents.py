"""What a User-Agent header tells a buy link: device class, in-app browser, and whether it is a bot.

Table-driven on purpose: when a platform ships a new in-app browser or preview fetcher, the fix is one row.
Order matters within a table: the first matching row wins, so the more specific patterns come first
(Messenger's in-app browser also says ``FBAN``; Slack's link expander also says ``Slackbot``).

Link-preview fetchers (the bot that draws the card when a link is pasted in a chat) still get the redirect, so
previews show the product, but their hits are counted apart and never as clicks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

#: (name, pattern) for crawlers and link-preview fetchers. Matched case-insensitively.
BOTS: tuple[tuple[str, str], ...] = (
    ("Facebook", r"facebookexternalhit|facebookcatalog|Facebot|meta-externalagent|meta-externalfetcher"),
    ("Pinterest", r"Pinterestbot|Pinterest/\d"),  # "Pinterest/0.2" is the preview fetcher, the app says "Pinterest for"
    ("WhatsApp", r"^WhatsApp/"),  # the preview fetcher: the in-app browser never starts with "WhatsApp/"
    ("Telegram", r"TelegramBot"),
    ("Twitter", r"Twitterbot"),
    ("Slack", r"Slackbot|Slack-ImgProxy"),
    ("Discord", r"Discordbot"),
    ("LinkedIn", r"LinkedInBot"),
    ("Skype", r"SkypeUriPreview"),
    ("Snapchat", r"Snap URL Preview|Snapchat/\S+ \(bot"),
    ("Google", r"Googlebot|Google-InspectionTool|AdsBot-Google|Mediapartners-Google|GoogleOther|Google-Read-Aloud"),
    ("Bing", r"bingbot|BingPreview|msnbot"),
    ("Apple", r"Applebot"),
    ("Yandex", r"YandexBot|YandexImages"),
    ("Baidu", r"Baiduspider"),
    ("DuckDuckGo", r"DuckDuckBot|DuckAssistBot"),
    ("Embedly", r"Embedly"),
    ("iframely", r"Iframely"),
    ("Mastodon", r"Mastodon/"),
    ("Scanner", r"^(curl|Wget|python-requests|python-httpx|Go-http-client|okhttp|Java/|libwww-perl|HeadlessChrome)"),
    ("Generic bot", r"(?<!cu)bot\b|crawler|spider|preview|fetcher|\+https?://"),
)

#: (name, pattern) for in-app browsers: the browser inside a social or messaging app.
IN_APP: tuple[tuple[str, str], ...] = (
    ("Instagram", r"Instagram"),
    ("Messenger", r"\bMessenger|FBAN/MessengerForiOS|FB_IAB/Orca|FBAN/Orca"),
    ("Facebook", r"FBAN|FBAV|FB_IAB|FBIOS"),
    ("Pinterest", r"Pinterest"),
    ("WhatsApp", r"WhatsApp"),
    ("Telegram", r"Telegram"),
    ("WeChat", r"MicroMessenger|WeChat"),
    ("TikTok", r"musical_ly|BytedanceWebview|TikTok|trill_"),
    ("Snapchat", r"Snapchat"),
    ("LINE", r"\bLine/\d"),
    ("LinkedIn", r"LinkedInApp"),
    ("X", r"Twitter for|TwitterAndroid"),
)

#: (device class, pattern); first match wins. iPads that claim to be Macs count as desktop: that is what
#: they render.
DEVICES: tuple[tuple[str, str], ...] = (
    ("android", r"Android"),
    ("ios", r"iPhone|iPad|iPod|\biOS\b|CPU OS \d"),
    ("desktop", r"Windows NT|Macintosh|Mac OS X|X11|Linux x86_64|CrOS"),
)

_FLAGS = re.IGNORECASE


def _compile(table: tuple[tuple[str, str], ...], flags: int = 0) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((name, re.compile(pattern, flags)) for name, pattern in table)


_BOTS = _compile(BOTS, _FLAGS)
_IN_APP = _compile(IN_APP)  # case-sensitive: "line" or "instagram" in lower case appear in ordinary UAs
_DEVICES = _compile(DEVICES)


@dataclass(frozen=True)
class Agent:
    device: str
    in_app: str | None
    bot: str | None

    @property
    def is_bot(self) -> bool:
        return self.bot is not None


def _first(table: tuple[tuple[str, re.Pattern[str]], ...], ua: str) -> str | None:
    for name, pattern in table:
        if pattern.search(ua):
            return name
    return None


@lru_cache(maxsize=4096)
def classify(user_agent: str | None) -> Agent:
    """Device class, in-app browser and bot name for ``user_agent`` (cached: the same few UAs repeat a lot)."""
    ua = (user_agent or "").strip()[:512]
    if not ua:
        # No User-Agent at all is a script, not a person with a phone.
        return Agent(device="other", in_app=None, bot="No user agent")
    device = _first(_DEVICES, ua) or "other"
    bot = _first(_BOTS, ua)
    in_app = None if bot else _first(_IN_APP, ua)
    return Agent(device=device, in_app=in_app, bot=bot)
