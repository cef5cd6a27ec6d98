"""Accounts and JWT authentication."""
