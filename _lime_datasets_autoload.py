"""Makes ``load_dataset("lime", ...)`` and ``tfds.load("lime/...")`` work without ``import
lime_datasets``.

An installed wheel puts ``lime_datasets_autoload.pth`` in site-packages; at interpreter start-up
it imports this module unless ``LIME_DATASETS_AUTOLOAD=0``. Importing it only puts a finder at the
front of ``sys.meta_path``: nothing else is imported. The first time ``datasets`` or
``tensorflow_datasets`` is imported, the finder steps aside and imports ``lime_datasets``, whose
own after-import hooks (``lime_datasets.after_import``) then bind the name ``lime`` as the
package finishes importing, exactly as after an explicit ``import lime_datasets``.
"""

import sys

VARIABLE = "LIME_DATASETS_AUTOLOAD"
TRIGGERS = ("datasets", "tensorflow_datasets")


class _ImportLimeFirst:
    """A ``sys.meta_path`` finder that imports ``lime_datasets`` before the first trigger."""

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if fullname not in TRIGGERS:
            return None
        sys.meta_path[:] = [finder for finder in sys.meta_path if finder is not cls]
        try:
            import lime_datasets  # noqa: F401  (arms its hooks for both triggers)
        except Exception as error:  # a broken install must not break the framework's import
            import warnings

            warnings.warn(f"lime_datasets could not be imported ({error!r}); "
                          f"set {VARIABLE}=0 to stop trying", RuntimeWarning, stacklevel=2)
            return None
        # lime_datasets put its own finders in front: let them (and the rest) find the module.
        for finder in list(sys.meta_path):
            find_spec = getattr(finder, "find_spec", None)
            spec = find_spec(fullname, path, target) if find_spec else None
            if spec is not None:
                return spec
        return None


def arm():
    """Put the finder in front, unless ``lime_datasets`` or a trigger is imported already."""
    if "lime_datasets" in sys.modules or _ImportLimeFirst in sys.meta_path:
        return
    if any(name in sys.modules for name in TRIGGERS):
        return
    sys.meta_path.insert(0, _ImportLimeFirst)


arm()
