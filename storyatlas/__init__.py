"""Story Atlas: a self-hosted archive of spoken stories."""

__version__ = "0.1.0"
