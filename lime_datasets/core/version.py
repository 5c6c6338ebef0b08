"""Data versions: every change to the bytes of any example gets a new one.

``DATA_VERSIONS`` lists them newest first with a one-line note; the HF config versions, the TFDS
``VERSION`` and ``RELEASE_NOTES`` and the changelog's data section come from it.
"""

DATA_VERSIONS = (
    (
        "1.0.0",
        "First release: the substitution tasks (deduct, abduct, induct and its variants), "
        "the rewrite tasks (rewrite, induct_rewrite, rewrite_multistep and its easy variant) "
        "and the mixture mixed.",
    ),
)
DATA_VERSION = DATA_VERSIONS[0][0]
