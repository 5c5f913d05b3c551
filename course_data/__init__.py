"""The course's data: the real datasets it trains on, the tokeniser of its text exercises, and its split rule.

Notebooks import this package and `grader.check`, nothing else of the grader; the grader imports this
package (the names a manifest may give, the splits of its training exercises). It needs NumPy and the
standard library only, and never imports the grader.

Example:
    >>> from course_data import load_pima, split
    >>> features, labels = load_pima()
    >>> learner, held_out = split("pima", seed=1, test_fraction=0.2, val_fraction=0.2)
    >>> len(learner["x_train"]) + len(learner["x_val"]) + len(held_out["x_test"]) == len(features)
    True
"""

from .datasets import BIBLE_COLUMNS as BIBLE_COLUMNS
from .datasets import CORPORA as CORPORA
from .datasets import DATASETS_DIR as DATASETS_DIR
from .datasets import PIMA_FEATURES as PIMA_FEATURES
from .datasets import PIMA_LABEL as PIMA_LABEL
from .datasets import TRAINING_SETS as TRAINING_SETS
from .datasets import DatasetError as DatasetError
from .datasets import DatasetInfo as DatasetInfo
from .datasets import all_datasets as all_datasets
from .datasets import dataset_info as dataset_info
from .datasets import load_bible_pairs as load_bible_pairs
from .datasets import load_mnist_5k as load_mnist_5k
from .datasets import load_pima as load_pima
from .datasets import load_rotten_tomatoes as load_rotten_tomatoes
from .datasets import load_spoken_digit_lengths as load_spoken_digit_lengths
from .datasets import load_spoken_digits as load_spoken_digits
from .datasets import load_sunspots as load_sunspots
from .datasets import verify as verify
from .splits import series_windows as series_windows
from .splits import split as split
from .text import build_target_vocabulary as build_target_vocabulary
from .text import build_vocabulary as build_vocabulary
from .text import encode as encode
from .text import encode_target as encode_target
from .text import tokenize as tokenize
