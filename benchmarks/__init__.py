"""Side-by-side benchmarks of the series; `make bench` (python -m benchmarks) runs them all."""
