"""Layer 1: the training loop. Knows the core and the optimizers, nothing of sklearn."""
