"""Training: a generic engine (checkpoints, resume, budgets, DDP) driving models that fulfil a narrow step contract."""
