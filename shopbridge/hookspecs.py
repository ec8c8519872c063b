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
    Mark an event ``urgent=True`` when the platform waits for the answer (Telegram's ``pre_checkout_query``):
    it is then processed in this very request, after it is stored, instead of only from the job queue.

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

    Called once per new event (never for replays), from a background job — or, for an event the plugin marked
    ``urgent=True`` in ``shopbridge_parse_webhook`` (Telegram's ``pre_checkout_query``, which must be answered
    within 10 seconds), in the webhook request itself right after the event is stored. ``event.order_lines``
    holds a catalogue cart's ``(item id, quantity)`` pairs; ``event.payload["customer_last_inbound_at"]`` (ISO
    8601, UTC) says when this customer last wrote, from the events the shop stored: decide reply windows
    (WhatsApp's and Messenger's 24 hours) on it, not on the payload's own timestamp.

    ``shop`` is the shop's services for chat plugins (``shopbridge.channels.shop.Shop``), bound to the same
    database transaction as the event: everything it creates is stored with the event or not at all. A plugin
    should declare the subset it calls as a ``typing.Protocol`` (see the Telegram plugin's ``shop.py``). Messages
    in ``ValueError`` and in ``recheck_order``'s answer are written for the shopper.

    - ``find_product(ref) -> ProductInfo | None``: a public, active product by id (digits), slug, buy-link short
      code or catalogue item id (``sb-v<variant id>``).
    - ``product_options(product_id)``: the variants in display order, each with ``item_id``, ``label``
      (``"Default"`` for a single variant), ``price`` (Money) and ``available``.
    - ``categories()``: categories with an active product, in menu order (``slug``, ``name``).
    - ``products_in_category(slug, *, limit=10)``: its active products (``ProductInfo``), in stock first.
    - ``tracked_link(product, *, channel_id, medium="chat") -> str``: the channel's own absolute buy link to the
      product (one per channel, product and medium, reused), so visits and orders count for the channel.
    - ``create_pending_order(lines, *, channel_id, customer)``: prices ``[(item_id, quantity)]`` on the server
      (whatever the platform said about prices), leaves out unknown and sold-out items and lowers quantities
      to the stock, reserves the stock like the web checkout and attributes the order to the channel. Returns
      ``reference`` (≤ 64 ASCII characters, e.g. an invoice payload), ``number``, ``checkout_url`` (the shop's
      own pay page for this order), ``currency``, ``lines`` (``title``, ``quantity``, ``unit_price``,
      ``total``), ``shipping``, ``total`` and ``notes`` (what changed, in words). Raises ``ValueError`` when
      nothing can be sold.
    - ``recheck_order(reference, *, amount_minor, currency) -> str | None``: right before an in-chat payment,
      ``None`` if the order stands at that amount with its stock, else the reason for the shopper.
    - ``create_paid_order(reference, *, payment_reference, amount_minor, currency, channel_id, customer,
      provider_payment_reference=None)``: records a payment taken inside the chat — the order becomes paid,
      its stock committed (taken again if the reservation lapsed), an amount that differs is flagged for
      review — and returns ``reference``, ``number`` and ``created``. Idempotent on ``payment_reference``: the
      same payment again returns the order with ``created=False``.
    - ``reply(event, text, product_id=None)``: answer the event through ``shopbridge_reply``, with a product
      card and tracked link when ``product_id`` is given.

    ``customer`` is the plugin's own description of the shopper: ``platform``, ``id``, ``name`` and optional
    ``username``, ``phone`` and ``details`` (what the platform's payment form collected: ``name``, ``email``,
    ``phone_number``, ``shipping_address``), which the shop copies onto the order.

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
