"""Training: losses, the fit loop with resume, and the experiment runner."""
