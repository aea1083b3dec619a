"""Credentials: password hashes, signed access tokens and API keys, with vetted libraries."""
