"""``keras.ops.image`` (placeholder while being written)."""
