"""Posts on a Facebook Page and on Instagram, and the captions each platform can show.

Facebook: one request, ``POST /{page-id}/photos`` with the image URL and the caption (the tracked link in it is
clickable). Instagram: create a media container (``POST /{ig-user-id}/media``), wait until Instagram has fetched
the image (``GET /{container-id}?fields=status_code`` reads ``FINISHED``), then ``POST /{ig-user-id}/
media_publish``. Instagram captions cannot hold clickable links, so the caption points to the link in the bio.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlsplit

from shopbridge import hookimpl
from shopbridge.channels import (
    ChannelContext,
    ConnectionCheck,
    PlatformError,
    PostContent,
    PublishResult,
)
from shopbridge_meta.graph import call, node_id

FACEBOOK = "facebook_page"
INSTAGRAM = "instagram"
TYPES = (FACEBOOK, INSTAGRAM)

#: Instagram: captions up to 2,200 characters, at most 30 hashtags (Content Publishing guide, "Limitations").
INSTAGRAM_CAPTION_MAX = 2200
INSTAGRAM_HASHTAGS_MAX = 30
#: Product tags per feed image (IG Media Product Tags reference: 20 for feed posts).
INSTAGRAM_PRODUCT_TAGS_MAX = 20
#: Facebook accepts far longer posts; past this length readers stop anyway and the Page layout folds the text.
FACEBOOK_CAPTION_MAX = 5000
#: Container status polling: images are usually ready in seconds; Meta suggests checking about once a minute
#: for at most five minutes, which is the job layer's business (a transient error re-runs the publish).
CONTAINER_POLLS = 10
CONTAINER_POLL_INTERVAL = 2.0

_HASHTAG = re.compile(r"^[^\s#]+$")


def _mine(channel: ChannelContext) -> bool:
    return channel.type in TYPES


# --- captions -------------------------------------------------------------------------------------------------


def _clip(text: str, limit: int) -> str:
    text = (text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - 1)].rsplit(" ", 1)[0].rstrip(" ,.;:-")
    return (cut or text[: max(0, limit - 1)]) + "…"


def instagram_caption(caption: str, hashtags: list[str] | tuple[str, ...], shop_url: str) -> str:
    """Caption text + "link in bio" + at most 30 hashtags, within 2,200 characters; never a URL in the text."""
    tags: list[str] = []
    for raw in hashtags:
        tag = str(raw).strip().lstrip("#")
        if tag and _HASHTAG.match(tag) and tag.lower() not in {t.lower() for t in tags}:
            tags.append(tag)
    # Hashtags written inside the caption count towards Instagram's limit too.
    room = INSTAGRAM_HASHTAGS_MAX - len(re.findall(r"(?<!\w)#\w", caption or ""))
    tags = tags[: max(0, room)]
    host = urlsplit(shop_url).netloc if shop_url else ""
    footer = f"🛍 Tap the link in our bio to shop{f' ({host})' if host else ''}."
    hashtag_line = " ".join(f"#{t}" for t in tags)
    tail = "\n\n".join(part for part in (footer, hashtag_line) if part)
    body = re.sub(r"https?://\S+", "", caption or "").strip()
    body = _clip(body, INSTAGRAM_CAPTION_MAX - len(tail) - 2)
    return f"{body}\n\n{tail}" if body else tail


@hookimpl
def shopbridge_render_post_text(channel: ChannelContext, post: dict[str, Any], link_url: str) -> str | None:
    if channel.type != INSTAGRAM:
        return None  # Facebook links are clickable: shopbridge's default rendering fits it
    return instagram_caption(str(post.get("caption") or ""), post.get("hashtags") or (), channel.shop_url)


# --- connection -----------------------------------------------------------------------------------------------


@hookimpl
def shopbridge_test_connection(channel: ChannelContext) -> ConnectionCheck | None:
    if not _mine(channel):
        return None
    try:
        if channel.type == FACEBOOK:
            page = call(channel, "GET", f"/{node_id(channel, 'page_id')}", params={"fields": "id,name"},
                        dry_run_response={"id": channel.setting("page_id"), "name": "dry run"})
            detail = f"Connected to the Facebook Page “{page.get('name', '?')}”."
        else:
            user = call(channel, "GET", f"/{node_id(channel, 'ig_user_id')}",
                        params={"fields": "id,username,shopping_product_tag_eligibility"},
                        dry_run_response={"id": channel.setting("ig_user_id"), "username": "dry_run"})
            detail = f"Connected to Instagram as @{user.get('username', '?')}."
            if channel.setting("catalog_id") and not user.get("shopping_product_tag_eligibility"):
                detail += (" Product tags are off: this account has no approved Instagram Shop, so posts go out "
                           "without them.")
    except PlatformError as exc:
        return ConnectionCheck(ok=False, detail=exc.message)
    if not channel.setting("app_secret"):
        detail += " Add the app secret so webhooks can be verified."
    return ConnectionCheck(ok=True, detail=detail)


# --- publishing -----------------------------------------------------------------------------------------------


@hookimpl
def shopbridge_publish_post(channel: ChannelContext, content: PostContent) -> PublishResult | None:
    if not _mine(channel):
        return None
    if not content.image_url:
        raise PlatformError("Facebook and Instagram posts need a photo: give the product an image first.")
    if channel.type == FACEBOOK:
        return _publish_page_photo(channel, content)
    return _publish_instagram(channel, content)


def _publish_page_photo(channel: ChannelContext, content: PostContent) -> PublishResult:
    text = content.text if content.link_url in content.text else f"{content.text}\n\n{content.link_url}".strip()
    answer = call(channel, "POST", f"/{node_id(channel, 'page_id')}/photos",
                  form={"url": content.image_url, "message": _clip(text, FACEBOOK_CAPTION_MAX), "published": True},
                  dry_run_response={"id": "0", "post_id": f"{node_id(channel, 'page_id')}_dry_run_{content.post_id}"})
    post_id = str(answer.get("post_id") or answer.get("id"))
    return PublishResult(remote_id=post_id, url=f"https://www.facebook.com/{post_id}", raw=answer)


def _publish_instagram(channel: ChannelContext, content: PostContent) -> PublishResult:
    ig_user = node_id(channel, "ig_user_id")
    form: dict[str, Any] = {"image_url": content.image_url, "caption": content.text[:INSTAGRAM_CAPTION_MAX]}
    if content.image_alt:
        form["alt_text"] = content.image_alt
    tags = product_tags(channel, content)
    if tags:
        form["product_tags"] = tags
    container = str(call(channel, "POST", f"/{ig_user}/media", form=form,
                         dry_run_response={"id": "17000000000000000"})["id"])
    wait_for_container(channel, container)
    media = call(channel, "POST", f"/{ig_user}/media_publish", form={"creation_id": container},
                 dry_run_response={"id": f"dry-run-{content.idempotency_key or content.post_id}"})
    return PublishResult(remote_id=str(media["id"]), url=None, raw={"container_id": container, **media})


def wait_for_container(channel: ChannelContext, container: str) -> None:
    """Poll the container until Instagram has the image; bounded, then a transient error for the job layer."""
    for attempt in range(CONTAINER_POLLS):
        status = call(channel, "GET", f"/{container}", params={"fields": "status_code,status"},
                      dry_run_response={"id": container, "status_code": "FINISHED"})
        code = status.get("status_code")
        if code in ("FINISHED", "PUBLISHED"):
            return
        if code in ("ERROR", "EXPIRED"):
            why = status.get("status") or code
            raise PlatformError(f"Instagram could not use the image for this post ({why}). Check that the image is "
                                "a JPEG reachable from the internet, between 4:5 and 1.91:1, under 8 MB.",
                                code=str(code))
        if attempt + 1 < CONTAINER_POLLS:
            time.sleep(float(channel.setting("poll_interval", CONTAINER_POLL_INTERVAL)))
    raise PlatformError("Instagram is still processing the image; we will try again shortly.", transient=True)


def product_tags(channel: ChannelContext, content: PostContent) -> list[dict[str, Any]]:
    """Tags for the post's products that are in the connected catalogue and approved for tagging.

    Instagram tags reference Meta's own product ids, so each of our item ids (``sb-v<variant id>``, as the
    catalogue sync sends them; the compose form may pass them as ``options["catalogue_item_ids"]``) or, failing
    that, each product's title is looked up with ``catalog_product_search``.
    """
    catalog = channel.setting("catalog_id")
    if not catalog or channel.dry_run:
        return []
    wanted = [str(i) for i in content.options.get("catalogue_item_ids") or ()]
    queries = wanted or [p.title for p in content.products]
    tags: list[dict[str, Any]] = []
    for query in queries:
        found = call(channel, "GET", f"/{node_id(channel, 'ig_user_id')}/catalog_product_search",
                     params={"catalog_id": catalog, "q": query}).get("data") or []
        match = next((p for p in found if p.get("review_status", "approved") == "approved"
                      and (p.get("retailer_id") == query if wanted else
                           str(p.get("retailer_id", "")).startswith("sb-v"))), None)
        if match and match.get("product_id") and all(t["product_id"] != str(match["product_id"]) for t in tags):
            # Spread the tags down the middle of the picture so they do not cover each other.
            tags.append({"product_id": str(match["product_id"]), "x": 0.5,
                         "y": round(0.3 + 0.4 * len(tags) / max(1, len(queries)), 2)})
        if len(tags) == INSTAGRAM_PRODUCT_TAGS_MAX:
            break
    return tags


#: Recent posts read when looking for one an interrupted attempt may have created.
FIND_LIMIT = 50


@hookimpl(optionalhook=True)  # declared by the framework's publishing pipeline; optional until it is installed
def shopbridge_find_post(channel: ChannelContext, content: PostContent) -> PublishResult | bool | None:
    """Find the post an interrupted attempt created, before a publish whose outcome is unknown is retried.

    Graph has no idempotency keys. On Facebook every post's text carries its own tracked buy link, so the Page's
    recent posts are searched for it; on Instagram the caption we send is matched exactly among the account's
    recent media. Nothing found among the newest 50 means the earlier attempt never published.
    """
    if not _mine(channel):
        return None
    if channel.type == FACEBOOK:
        posts = call(channel, "GET", f"/{node_id(channel, 'page_id')}/published_posts",
                     params={"fields": "id,message", "limit": FIND_LIMIT}, dry_run_response={"data": []})
        for item in posts.get("data") or []:
            if content.link_url in str(item.get("message") or ""):
                return PublishResult(remote_id=str(item["id"]), url=f"https://www.facebook.com/{item['id']}")
        return False
    caption = content.text[:INSTAGRAM_CAPTION_MAX].strip()
    media = call(channel, "GET", f"/{node_id(channel, 'ig_user_id')}/media",
                 params={"fields": "id,caption,permalink", "limit": FIND_LIMIT}, dry_run_response={"data": []})
    for item in media.get("data") or []:
        if str(item.get("caption") or "").strip() == caption:
            return PublishResult(remote_id=str(item["id"]), url=item.get("permalink"))
    return False


@hookimpl
def shopbridge_update_post(channel: ChannelContext, content: PostContent, remote_id: str) -> PublishResult | None:
    if channel.type != FACEBOOK:
        return None  # Instagram offers no caption edits through the API: the edit stays local
    text = content.text if content.link_url in content.text else f"{content.text}\n\n{content.link_url}".strip()
    call(channel, "POST", f"/{remote_id}", form={"message": _clip(text, FACEBOOK_CAPTION_MAX)},
         dry_run_response={"success": True})
    return PublishResult(remote_id=remote_id, url=f"https://www.facebook.com/{remote_id}")


@hookimpl
def shopbridge_delete_post(channel: ChannelContext, remote_id: str) -> bool | None:
    if not _mine(channel):
        return None
    try:
        call(channel, "DELETE", f"/{remote_id}", dry_run_response={"success": True})
    except PlatformError as exc:
        if exc.code == "100:33":  # "Object with ID … does not exist": already gone, as the shop wanted
            return True
        raise
    return True
