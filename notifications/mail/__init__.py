"""Email backends of our own (Django's are chosen the same way, by settings.MAILERS)."""
