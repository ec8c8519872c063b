"""Imports every table module, so that ``shopbridge.db.metadata`` knows the whole schema.

Alembic compares migrations against that metadata; add a line here when a feature adds a ``models.py``.
"""

from shopbridge.accounts import models as accounts_models  # noqa: F401
from shopbridge.catalogue import models as catalogue_models  # noqa: F401
from shopbridge.channels import models as channels_models  # noqa: F401
from shopbridge.checkout import models as checkout_models  # noqa: F401
from shopbridge.links import models as links_models  # noqa: F401
from shopbridge.mail import models as mail_models  # noqa: F401
from shopbridge.posts import models as posts_models  # noqa: F401
