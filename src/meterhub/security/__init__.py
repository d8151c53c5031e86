"""People's and machines' credentials (DESIGN §5): the pure cores that the store, the API and the CLI build on.

:mod:`~meterhub.security.passwords` hashes passwords with argon2id and holds the password policy;
:mod:`~meterhub.security.totp` is TOTP MFA with replay refusal and single-use recovery codes;
:mod:`~meterhub.security.throttle` is login throttling and the API's token-bucket rate limit;
:mod:`~meterhub.security.tokens` makes and checks opaque tokens (sessions, OAuth2 client secrets, bearer access
tokens) and the CSRF token tied to a session. Every module is pure: time comes in as a timezone-aware UTC
``now: datetime``, state comes in and goes out as small frozen records that the store keeps (so several web
workers share it), and nothing here does I/O, keeps state between calls or logs a secret. Randomness comes from
:mod:`secrets`.
"""
