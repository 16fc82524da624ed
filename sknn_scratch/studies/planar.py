"""The 2-D data sets of the notes' lessons, by name: flower, moons, circles.

Each maker takes a ``random_state`` and returns ``(X, y)`` with two features,
in the notes' sizes and noise levels.
"""

from sklearn.datasets import make_circles, make_moons

from ..datasets import make_flower

#: name -> maker(n_samples, random_state) -> (X, y), with the notes' noise.
PLANAR = {
    "flower": lambda n, random_state: make_flower(n, noise=0.2, random_state=random_state),
    "moons": lambda n, random_state: make_moons(n, noise=0.2, random_state=random_state),
    "circles": lambda n, random_state: make_circles(n, noise=0.05,
                                                    random_state=random_state),
}

#: Points the study draws for each (the lessons' training sizes).
DEFAULT_SIZES = {"flower": 400, "moons": 300, "circles": 300}


def load_planar(name, random_state=0, n_samples=None):
    """``(X, y)`` of the 2-D data set ``name`` (see :data:`PLANAR`)."""
    return PLANAR[name](n_samples or DEFAULT_SIZES[name], random_state)
