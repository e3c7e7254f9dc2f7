"""The training loop, batching, objectives, checkpoints and DDP."""
