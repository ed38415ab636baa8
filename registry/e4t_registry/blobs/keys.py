"""Key and prefix validation shared by every backend.

Keys are relative, slash-separated paths. Rejecting anything that could be read as a different
location ("..", absolute paths, empty segments, backslashes) keeps the local backend inside its
root and makes both backends accept exactly the same keys.
"""

from .errors import InvalidBlobKeyError

MAX_KEY_LENGTH = 1024
_FORBIDDEN_CHARACTERS = ("\\", "\x00")


def validate_key(key: str) -> str:
    """Return ``key`` unchanged if it is a safe blob key, else raise `InvalidBlobKeyError`."""
    if not isinstance(key, str) or not key:
        raise InvalidBlobKeyError("blob key must be a non-empty string")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidBlobKeyError(f"blob key is longer than {MAX_KEY_LENGTH} characters")
    if key.startswith("/"):
        raise InvalidBlobKeyError(f"blob key {key!r} must be relative, not absolute")
    if any(character in key for character in _FORBIDDEN_CHARACTERS):
        raise InvalidBlobKeyError(f"blob key {key!r} contains a backslash or NUL character")
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise InvalidBlobKeyError(f"blob key {key!r} has an empty, '.' or '..' path segment")
    return key


def validate_prefix(prefix: str) -> str:
    """Return ``prefix`` if it is "" or a safe key start (a trailing "/" is allowed)."""
    if prefix == "":
        return prefix
    validate_key(prefix.removesuffix("/"))
    return prefix
