"""Describing a factor stack and the paper's factor analysis (correlation, VIF/TOL, importance)."""
