"""Real User-Agent strings, as sent by phones, in-app browsers and link-preview fetchers."""

from __future__ import annotations

import pytest

from shopbridge.links.useragents import classify

PEOPLE = [
    # (user agent, device, in-app browser)
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Mobile/15E148 Safari/604.1", "ios", None),
    ("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.122 "
     "Mobile Safari/537.36", "android", None),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
     "Safari/537.36", "desktop", None),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 "
     "Safari/605.1.15", "desktop", None),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "desktop", None),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Mobile/15E148 Instagram 339.0.3.12.91 (iPhone14,5; iOS 17_5_1; en_US; en; scale=3.00; 1170x2532; 620164101)",
     "ios", "Instagram"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Version/4.0 Chrome/127.0.6533.103 Mobile Safari/537.36 Instagram 346.0.0.34.108 Android (34/14; 420dpi; "
     "1080x2205; Google/google; Pixel 8; shiba; shiba; en_US; 634006519)", "android", "Instagram"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Mobile/15E148 [FBAN/FBIOS;FBAV/459.0.0.38.111;FBBV/577187437;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;"
     "FBSV/17.4;FBSS/3;FBID/phone;FBLC/it_IT;FBOP/5;FBRV/579432515]", "ios", "Facebook"),
    ("Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Version/4.0 Chrome/121.0.6167.178 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/451.0.0.45.109;]",
     "android", "Facebook"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Mobile/15E148 [FBAN/MessengerForiOS;FBAV/440.0.0.38.106;FBBV/528745133;FBDV/iPhone12,1;FBMD/iPhone;"
     "FBSN/iOS;FBSV/16.6;FBSS/2;FBCR/;FBID/phone;FBLC/en_US;FBOP/5]", "ios", "Messenger"),
    ("Mozilla/5.0 (Linux; Android 12; Redmi Note 11 Build/SKQ1.211103.001; wv) AppleWebKit/537.36 (KHTML, like "
     "Gecko) Version/4.0 Chrome/119.0.6045.193 Mobile Safari/537.36 [FB_IAB/Orca-Android;FBAV/439.0.0.29.119;]",
     "android", "Messenger"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Mobile/15E148 [Pinterest/iOS]", "ios", "Pinterest"),
    ("Mozilla/5.0 (Linux; Android 14; SM-G991B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Version/4.0 Chrome/124.0.6367.113 Mobile Safari/537.36 [Pinterest/Android]", "android", "Pinterest"),
    ("Mozilla/5.0 (Linux; Android 13; 2201117TY Build/TKQ1.221114.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160083 MMWEBSDK/20231202 MMWEBID/7742 "
     "MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64",
     "android", "WeChat"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Mobile/15E148 musical_ly_32.9.0 JsSdk/2.0 NetType/WIFI Channel/App Store ByteLocale/en Region/US "
     "ByteFullLocale/en-US isDarkMode/0 WKWebView/1 RevealType/Dialog BytedanceWebview/d8a21c6", "ios", "TikTok"),
    ("Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Version/4.0 Chrome/117.0.0.0 Mobile Safari/537.36 Snapchat/12.53.0.41 (like Safari/604.1)",
     "android", "Snapchat"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Mobile/15E148 Safari Line/13.16.0", "ios", "LINE"),
    ("Mozilla/5.0 (Linux; Android 14; SM-S911B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Version/4.0 Chrome/126.0.6478.134 Mobile Safari/537.36 Telegram-Android/10.14.5 (Samsung SM-S911B; "
     "Android 14; SDK 34; HIGH)", "android", "Telegram"),
    ("Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
     "Mobile Safari/537.36", "android", None),  # a phone brand ending in "bot" is a person
    ("Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 "
     "Mobile/15E148 Safari/604.1", "ios", None),
]

BOTS = [
    ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "Facebook"),
    ("facebookexternalhit/1.1;line-poker/1.0", "Facebook"),
    ("Mozilla/5.0 (compatible; Facebot/1.0; +https://developers.facebook.com/docs/sharing/webmasters/crawler)",
     "Facebook"),
    ("Pinterest/0.2 (+https://www.pinterest.com/bot.html)", "Pinterest"),
    ("Mozilla/5.0 (compatible; Pinterestbot/1.0; +http://www.pinterest.com/bot.html)", "Pinterest"),
    ("WhatsApp/2.23.20.0 A", "WhatsApp"),
    ("WhatsApp/2.2337.7 i", "WhatsApp"),
    ("TelegramBot (like TwitterBot)", "Telegram"),
    ("Twitterbot/1.0", "Twitter"),
    ("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "Slack"),
    ("Slackbot 1.0 (+https://api.slack.com/robots)", "Slack"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.10; rv:38.0) Gecko/20100101 Firefox/38.0 "
     "(compatible; Discordbot/2.0; +https://discordapp.com)", "Discord"),
    ("LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)", "LinkedIn"),
    ("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.6478.126 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
     "Google"),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "Bing"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 "
     "Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)", "Apple"),
    ("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", "Yandex"),
    ("Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5", "Skype"),
    ("curl/8.5.0", "Scanner"),
    ("python-requests/2.32.3", "Scanner"),
    ("Mozilla/5.0 (compatible; SomeNewCrawler/1.0; +https://example.com/crawler)", "Generic bot"),
    ("", "No user agent"),
]


@pytest.mark.parametrize("ua,device,in_app", PEOPLE)
def test_people(ua, device, in_app):
    agent = classify(ua)
    assert (agent.device, agent.in_app, agent.bot) == (device, in_app, None)


@pytest.mark.parametrize("ua,bot", BOTS)
def test_link_previews_and_crawlers(ua, bot):
    agent = classify(ua)
    assert agent.bot == bot and agent.is_bot and agent.in_app is None
