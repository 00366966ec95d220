"""Data sources: where the training and test sets of a simulation come from.

A data source is any object with

``sample(setting, seed) -> (train, test)``
    a training and a test :class:`Dataset` for the ``alpha`` and ``eps`` of a
    :class:`rafmodel.Setting`, drawn from the random streams of ``seed`` (a
    :class:`numpy.random.SeedSequence`); the same ``(setting, seed)`` always gives
    the same data;
``shape(setting) -> (n, d, n_test)``
    the sizes it will draw, so that memory is checked before any work;
``check(setting)``
    raise :class:`rafmodel.ParameterError` before any work if the sizes cannot fit;
``key()``
    a tuple of plain values that identifies what the source draws (for caches and stores).

:class:`GaussianRAF` is the model's own data (i.i.d. Gaussian inputs, a teacher
rule and random facts); :class:`ImageRAF` takes the rule and the facts from the
classes of a local image dataset (:func:`load_images`); other sources and other sources plug into the same
:func:`rafmodel.simulate`.
"""

from .base import DataSource, Dataset, child_seed
from .gaussian import GaussianRAF, RAFData, as_generator, sample_raf, sample_rule
from .images import load_images
from .real import ImageRAF

__all__ = ["DataSource", "Dataset", "GaussianRAF", "RAFData", "sample_raf", "sample_rule", "as_generator",
           "child_seed", "ImageRAF", "load_images"]
