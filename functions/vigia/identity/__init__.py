"""Who may sign in with what: the rules of sign-in itself (staff TOTP)."""
