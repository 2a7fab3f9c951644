"""Dataset / DataLoader (in progress)."""
