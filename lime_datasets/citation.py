"""How to cite the LIME tasks, their homepage and the licence of the package and its data."""

HOMEPAGE = "https://proceedings.mlr.press/v139/wu21c.html"
LICENSE = "apache-2.0"  # the package and the data it generates
CITATION = """\
@inproceedings{wu2021lime,
  title     = {{LIME}: Learning Inductive Bias for Primitives of Mathematical Reasoning},
  author    = {Wu, Yuhuai and Rabe, Markus N. and Li, Wenda and Ba, Jimmy and
               Grosse, Roger B. and Szegedy, Christian},
  booktitle = {Proceedings of the 38th International Conference on Machine Learning},
  series    = {Proceedings of Machine Learning Research},
  volume    = {139},
  pages     = {11251--11262},
  publisher = {PMLR},
  year      = {2021},
  url       = {https://proceedings.mlr.press/v139/wu21c.html}
}
"""
