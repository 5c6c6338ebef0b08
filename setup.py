"""The optional compiled kernels; everything else about the package is in setup.cfg.

A machine without a C compiler still installs the package: the build of the extension may fail
(``optional=True``) and the numpy code runs instead, with the same bytes.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "lime_datasets.core._kernels",
            sources=["lime_datasets/core/_kernels.c"],
            optional=True,
        )
    ]
)
