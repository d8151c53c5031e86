"""Tests of meterhub.security: passwords, TOTP, throttling, tokens."""
