"""Password reset links that die with the user's sessions."""

from django.contrib.auth.tokens import PasswordResetTokenGenerator

from firm_portal.models import User


class SessionBoundTokenGenerator(PasswordResetTokenGenerator):
    """Django's single-use reset tokens (void once the password or the last
    login changes), also void when every session of the user is ended
    (`User.end_all_sessions`, as "Avsluta konsult" does): a link mailed
    before someone was ended must not let them back in."""

    def _make_hash_value(self, user: User, timestamp: int) -> str:  # type: ignore[override]
        return f"{super()._make_hash_value(user, timestamp)}.{user.session_version}"


password_reset_tokens = SessionBoundTokenGenerator()
