# The fixtures live in shopbridge.testing (a pytest plugin) so that plugin authors get the very same ones.
