"""Credentials: password hashing, keyed hashes, access tokens and access control."""
