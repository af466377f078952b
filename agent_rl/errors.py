"""Errors a user can act on. The CLI prints them as one line, never as a traceback."""


class UserError(Exception):
    """Bad input from the user (argument, path, recipe, site). The message says what to do."""
