"""The ``lime`` dataset folder: the builder module and its TFDS metadata files."""
