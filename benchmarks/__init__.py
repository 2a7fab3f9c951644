"""Side-by-side training benchmarks: deepgrad vs PyTorch vs hand-written NumPy (run.py)."""
