"""Tests of meterhub.api: the policy layer and its interval algebra."""
