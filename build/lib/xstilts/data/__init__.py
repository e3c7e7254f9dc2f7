"""Task files: reading, publishing, encoding, and the hub's datasets."""
