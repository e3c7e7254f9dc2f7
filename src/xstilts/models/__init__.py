"""The shared encoder, task heads and CLIP models."""
