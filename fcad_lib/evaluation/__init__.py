"""Evaluation: streamed pixel metrics, object matching, recall by landslide type."""
