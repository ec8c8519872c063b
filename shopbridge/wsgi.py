"""The WSGI entry point for production servers: ``gunicorn 'shopbridge.wsgi:app'``.

Configuration comes from the environment and ``$SHOPBRIDGE_DATA_DIR/config.toml`` (see ``docs/deploy.md``).
"""

from shopbridge.app import create_app

app = create_app()
