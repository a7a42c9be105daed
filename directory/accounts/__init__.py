"""Rank 2: staff accounts: password hashing, sign-in, roles and the one place that checks them; the sign-in and
user admin pages; the `users` command.
"""
