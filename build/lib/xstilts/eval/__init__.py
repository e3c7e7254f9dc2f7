"""Predictions, XTREME's metrics and zero-shot evaluation."""
