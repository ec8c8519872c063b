"""Hook specifications: the plugin author's reference.

Every hook a plugin can implement is declared here, with a docstring that says when it fires, what each
argument is and what to return. ``docs/plugins/hooks.md`` is generated from these docstrings, and the tests
fail if a hook is undocumented or never exercised.

Implement a hook by writing a function of the same name decorated with :data:`shopbridge.hookimpl`. Hooks are
called with keyword arguments, so an implementation may accept only the arguments it needs.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("shopbridge")


@hookspec
def shopbridge_register_blueprints(app):
    """Add Flask blueprints (pages, webhooks, API endpoints) to the shop.

    Called once while :func:`shopbridge.create_app` builds the app, after the core blueprints are registered.

    :param app: the :class:`flask.Flask` app being built.
    :returns: ``None``; call ``app.register_blueprint(...)`` yourself. Every view must carry an access rule
        (``shopbridge.access.public`` or ``shopbridge.access.requires``), or the shop's own tests fail.
    """


@hookspec
def shopbridge_admin_menu():
    """Add entries to the admin navigation.

    Called when the admin layout is rendered.

    :returns: a list of :class:`shopbridge.admin.menu.MenuItem`; each is shown only to users whose role grants
        its ``permission``.
    """


@hookspec
def shopbridge_cli_commands():
    """Add commands to the ``shopbridge`` command line.

    :returns: a list of :class:`click.Command` (or groups); each becomes ``shopbridge <name>``.
    """


# --- Channels -------------------------------------------------------------------------------------------------
#
# A platform plugin declares one or more channel types, then implements the verbs below for them. Each verb
# receives ``channel`` (a :class:`shopbridge.channels.ChannelContext`); the hooks are "first result wins", so an
# implementation must return ``None`` for channels of types it does not own:
#
#     @hookimpl
#     def shopbridge_publish_post(channel, content):
#         if channel.type != "pinterest":
#             return None
#         ...
#
# Make every HTTP call through ``channel.http`` (dry run, secret masking and retries depend on it) and raise
# :class:`shopbridge.channels.PlatformError` (or ``RateLimited``/``AuthError``) for failures.


@hookspec
def shopbridge_channel_types():
    """Declare the channel types this plugin provides.

    Called when the app starts and when the admin lists what can be connected. Results of all plugins are
    combined; a type name must be unique across plugins.

    :returns: a list of :class:`shopbridge.channels.ChannelType`.
    """


@hookspec(firstresult=True)
def shopbridge_test_connection(channel):
    """Check a channel's settings against the platform ("Test connection" in the admin).

    :param channel: the :class:`~shopbridge.channels.ChannelContext` to check.
    :returns: a :class:`shopbridge.channels.ConnectionCheck` whose ``detail`` tells the shop owner what was found
        or what to fix; ``None`` for channel types you do not own.
    """


@hookspec(firstresult=True)
def shopbridge_render_post_text(channel, post, link_url):
    """Render a post's text for one platform: its length limit, hashtag style and where the link goes.

    Called when the compose form previews a post and again right before publishing. shopbridge's own
    implementation (``trylast``) fills the caption template, appends hashtags and the link, and trims to the
    channel type's ``caption_limit`` on a word boundary; implement this hook to do better for your platform
    (e.g. Instagram captions cannot hold clickable links, so say "link in bio" and leave the URL out).

    :param channel: the target channel.
    :param post: a mapping with ``caption`` (the template already filled for the product), ``hashtags`` (list of
        strings without ``#``), ``title`` and ``products`` (list of :class:`~shopbridge.channels.ProductInfo`).
    :param link_url: the post's tracked buy link for this channel.
    :returns: the text to publish, or ``None`` to leave it to another implementation.
    """


@hookspec(firstresult=True)
def shopbridge_post_options(channel):
    """Offer per-post choices for a channel in the compose form, read from the platform.

    Called when the compose form is shown (once per enabled channel that can publish posts) and when a post's
    page shows a channel whose options can still change, with a live context (a dry-run channel records
    nothing: answer from what you have, or raise). Each option becomes a select next to the channel; the chosen
    value reaches :func:`shopbridge_publish_post` as ``content.options[option.name]``. Keep it quick: it runs
    while the shop owner waits for the page.

    :param channel: the :class:`~shopbridge.channels.ChannelContext` of the channel.
    :returns: a list of :class:`shopbridge.channels.PostOption` (e.g. the account's boards, the channel's default
        board preselected), or ``None`` for channel types you do not own.
    :raises shopbridge.channels.PlatformError: when the choices cannot be listed; the form then offers a
        ``key=value`` text field for that channel and shows your message.
    """


@hookspec(firstresult=True)
def shopbridge_publish_post(channel, content):
    """Publish a shoppable post on the platform.

    Called by the publishing job, possibly more than once for the same post if an earlier attempt crashed or
    failed transiently: send ``content.idempotency_key`` where the platform supports idempotency keys.

    :param channel: the target channel.
    :param content: a :class:`shopbridge.channels.PostContent` (text already rendered, tracked link, image URL).
    :returns: a :class:`shopbridge.channels.PublishResult` with the platform's id for the post.
    :raises shopbridge.channels.PlatformError: on failure (``transient=True`` to be retried with backoff).
    """


@hookspec(firstresult=True)
def shopbridge_find_post(channel, content):
    """Look on the platform for a post an earlier attempt may already have created.

    Called before retrying a publish whose previous attempt started but never recorded an outcome (the
    worker crashed, or the connection dropped after the request went out). Search by
    ``content.idempotency_key`` (e.g. stored in the post's metadata or text) or by anything else that
    identifies ``content.post_id``. Without this hook, and unless the channel type declares
    ``idempotent_publish``, shopbridge never posts twice: it stops and asks a person to check the platform.

    :param content: the :class:`shopbridge.channels.PostContent` of the attempt in doubt.
    :returns: a :class:`~shopbridge.channels.PublishResult` if the post exists, ``False`` if you are sure it
        does not (it is then published again), ``None`` if you cannot tell or do not own the channel's type.
    """


@hookspec(firstresult=True)
def shopbridge_update_post(channel, content, remote_id):
    """Change a published post (its text, link or image) where the platform allows edits.

    :param remote_id: the id :func:`shopbridge_publish_post` returned.
    :returns: a :class:`~shopbridge.channels.PublishResult`, or ``None`` if your type does not support edits
        (then the shop is told the edit stays local).
    """


@hookspec(firstresult=True)
def shopbridge_delete_post(channel, remote_id):
    """Delete a published post from the platform.

    :returns: ``True`` once deleted (also when it was already gone), ``None`` for types you do not own.
    """


@hookspec(firstresult=True)
def shopbridge_sync_catalogue(channel, items):
    """Send catalogue changes to the platform's product catalogue, one batch per call.

    The framework batches changed variants to at most the channel type's ``catalogue_batch_size`` and debounces
    bursts of edits; the plugin sends one batch. Items with ``deleted=True`` must be removed from the platform.

    :param items: a list of :class:`shopbridge.channels.CatalogueItem` (``item_id`` is stable across SKU and
        slug changes: use it as the platform's item id).
    :returns: a :class:`shopbridge.channels.SyncResult` listing accepted items and per-item errors in words a
        shop owner understands.
    """


@hookspec(firstresult=True)
def shopbridge_webhook_challenge(channel, request):
    """Answer a platform's webhook subscription check (e.g. Meta's ``hub.challenge`` GET).

    :param request: the :class:`shopbridge.channels.InboundRequest`.
    :returns: a :class:`shopbridge.channels.WebhookResponse`, or ``None`` if this is not your channel or not
        a challenge.
    """


@hookspec(firstresult=True)
def shopbridge_parse_webhook(channel, request):
    """Verify an inbound webhook and turn it into normalised events.

    Called for each POST to the channel's webhook URL, before anything is stored. Verify the signature first
    (Meta's ``X-Hub-Signature-256``, Telegram's secret token …) and raise
    :class:`shopbridge.channels.WebhookSignatureError` if it does not match: the request is refused with 403 and
    nothing is recorded. Events are stored by ``external_id``, so a replayed webhook changes nothing twice.

    :param request: the :class:`shopbridge.channels.InboundRequest`, body as raw bytes.
    :returns: a list of :class:`shopbridge.channels.InboundEvent` (possibly empty), or ``None`` for channel
        types you do not own.
    """


@hookspec(firstresult=True)
def shopbridge_reply(channel, event, reply):
    """Reply to an inbound comment or message (comment-to-buy, keyword rules, a person in the inbox).

    :param event: the :class:`shopbridge.channels.InboundEvent` being answered.
    :param reply: a :class:`shopbridge.channels.Reply`; when it carries a ``product`` and ``link_url``, send the
        richest form the platform has (a product card with a button) and fall back to text with the link.
    :returns: a :class:`~shopbridge.channels.PublishResult` for the reply, or ``None`` for types you do not own.
    """


@hookspec
def shopbridge_inbound_event(channel, event, shop):
    """React to a stored inbound event (after keyword rules ran), e.g. a chat bot's own conversation.

    Called once per new event (never for replays), from a background job. ``shop`` gives access to the public
    shop services a chat plugin needs (look up products and buy links, create a pending order, create a reply).

    :returns: ``None``.
    """


@hookspec
def shopbridge_order_event(order, event):
    """React to an order event (e.g. send a Purchase event to an ads platform's conversions API).

    Called from a background job for ``event`` in ``"created"``, ``"paid"``, ``"refunded"``, ``"cancelled"``,
    ``"fulfilled"``. ``order`` is a read-only mapping with ``id``, ``status``, ``total`` (Money), ``lines``,
    ``email`` (only for plugins that need it), ``link_code``, ``number`` and ``channels`` (the context of every
    enabled channel, for plugins that report orders to their platform). Errors are recorded and shown; they
    never block the order.

    :returns: ``None``.
    """


@hookspec
def shopbridge_payment_providers():
    """Contribute payment providers: the services that take the shopper's money at checkout.

    Called whenever the shop needs its list of providers (checkout, the payment settings page, webhooks,
    reconciliation); results from every plugin are combined, and the first provider registered for an
    identifier wins (built-ins are registered first, so a plugin cannot silently replace ``stripe``).
    The owner chooses the active provider in *Admin → Orders → Payment settings*.

    :returns: a list of subclasses of :class:`shopbridge.payments.PaymentProvider`. Each declares
        ``identifier`` (stable, stored on every order), ``verbose_name``, capability flags
        (``supports_refunds``, ``supports_partial_refunds``, ``test_only``) and implements
        ``create_checkout(CheckoutRequest) -> CheckoutRedirect``, ``fetch_state(reference) -> PaymentState``
        and, if it refunds, ``refund(...) -> RefundResult``; failures raise ``PaymentError``. Providers never
        change orders themselves: report what happened by calling
        ``shopbridge.checkout.service.apply_payment_state(session, order_id, state, source=...)``, which is
        idempotent and safe under concurrency.

    Example::

        import pluggy
        from shopbridge.payments import CheckoutRedirect, PaymentProvider

        hookimpl = pluggy.HookimplMarker("shopbridge")  # or ``shopbridge.hookimpl`` where it is exported

        class CashOnDelivery(PaymentProvider):
            identifier = "cod"
            verbose_name = "Cash on delivery"

            def create_checkout(self, request):
                return CheckoutRedirect(url=request.success_url, reference=f"cod-{request.order_id}")

        @hookimpl
        def shopbridge_payment_providers():
            return [CashOnDelivery]
    """
