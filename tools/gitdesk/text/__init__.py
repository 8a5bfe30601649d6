"""The words a reader sees, in the provider's language."""
