"""Experiments the chapters run, one module per experiment."""
