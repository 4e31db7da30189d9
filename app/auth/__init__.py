"""Authentication (login, sessions) and authorisation (roles, permissions, scoping)."""
