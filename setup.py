"""Packaging glue pyproject.toml cannot express: the top-level ``resources/`` folder (icon, sample
project) is installed inside the package as ``app/resources``, so ``pip install .`` ships it.

Everything else about the package is in pyproject.toml; ``app.core.paths.resources_dir`` finds the
files in either place.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["app", "app.*"]), "app.resources"],
    package_dir={"app.resources": "resources"},
)
