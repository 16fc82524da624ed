"""Layer 0: the maths of a fully connected net, NumPy only."""
