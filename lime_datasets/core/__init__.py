"""The framework-free core: numpy and pyarrow only. No files, no global RNG, no frameworks."""
