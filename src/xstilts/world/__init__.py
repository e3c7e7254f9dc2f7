"""The offline synthetic multilingual world and its task generators."""
