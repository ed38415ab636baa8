"""Typed errors of the engine: one base class, one subclass per thing a caller can get wrong."""

from __future__ import annotations


class EngineError(Exception):
    """Base class of every error the engine raises on purpose."""


class InvalidImageError(EngineError):
    """The image bytes are empty or cannot be decoded as an image."""


class ImageTooLargeError(EngineError):
    """The image is over the byte limit or over the pixel cap (checked before decoding pixels)."""


class PromptError(EngineError):
    """The prompt cannot be used as given."""


class PromptMissingConceptError(PromptError):
    """The prompt does not mention the concept (``{concept}`` or the placeholder token)."""


class PromptTooLongError(PromptError):
    """The prompt has more tokens than the text encoder accepts; it is never silently truncated."""


class ModelLoadError(EngineError):
    """Weights are missing, partial or inconsistent; the engine never falls back to random init."""


class ArtifactError(EngineError):
    """A concept artifact is malformed or belongs to another domain model."""
