"""shopbridge's own hook implementations, registered like any plugin (see ``plugins.BUILTIN_PLUGINS``).

They are the fall-backs (``trylast``): a platform plugin that knows better implements the same hook.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shopbridge import hookimpl

ELLIPSIS = "…"


def hashtag_text(hashtags) -> str:
    tags = []
    for tag in hashtags or ():
        cleaned = "".join(ch for ch in str(tag).strip().lstrip("#") if ch.isalnum() or ch == "_")
        if cleaned and cleaned not in tags:
            tags.append(cleaned)
    return " ".join("#" + t for t in tags)


def trim_words(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters on a word boundary, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return text[:limit]
    cut = text[: limit - len(ELLIPSIS)]
    if not text[len(cut)].isspace() and not cut.endswith(" "):  # the cut fell inside a word: drop the word
        space = cut.rfind(" ")
        if space > 0:
            cut = cut[:space]
    return cut.rstrip(" ,;:.-") + ELLIPSIS


def render_text(caption: str, hashtags, link_url: str | None, limit: int | None) -> str:
    """Caption, then hashtags, then the link on its own line; trimmed to ``limit``.

    When space runs out the link is kept whole (it is what sells), hashtags go first (last ones first),
    then the caption is shortened on a word boundary.
    """
    caption = (caption or "").strip()
    tags = hashtag_text(hashtags).split()
    link = (link_url or "").strip()
    if link and link in caption:
        if limit is None or len(caption) <= limit:
            link = ""  # the caption template placed the link itself ({link}); never show it twice
        else:  # trimming could cut it: take it out of the caption and keep it whole at the end
            caption = " ".join(caption.replace(link, " ").split())

    def assemble(caption_part: str, tag_list: list[str]) -> str:
        parts = [caption_part] if caption_part else []
        if tag_list:
            parts.append(" ".join(tag_list))
        if link:
            parts.append(link)
        return "\n\n".join(parts)

    text = assemble(caption, tags)
    if limit is None or len(text) <= limit:
        return text
    while tags and len(assemble(caption, tags)) > limit:
        tags.pop()
    text = assemble(caption, tags)
    if len(text) <= limit:
        return text
    room = limit - (len(assemble("", [])) + (2 if link else 0))
    return assemble(trim_words(caption, max(room, 0)), []) if room > 0 else link[:limit]


@hookimpl(trylast=True)
def shopbridge_render_post_text(channel, post: Mapping[str, Any], link_url: str):
    from shopbridge.channels.service import channel_type

    ctype = channel_type(channel.type)
    limit = ctype.caption_limit if ctype else None
    return render_text(post.get("caption", ""), post.get("hashtags", ()), link_url, limit)
