"""A realistic, made-up book of accounts for trying the product and for benchmarks."""
