"""Fixtures for the service tests."""

from tests.smtp import smtp

__all__ = ["smtp"]
