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
