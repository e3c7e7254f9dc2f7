"""One module per DVC stage, each with main(argv=None)."""
