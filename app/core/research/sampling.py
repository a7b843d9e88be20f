"""Drawing the rows a person codes by hand, and splitting them into development and test rows.

The methods papers ask for a random sample whose seed is reported (so it can be drawn again)
and for instructions tuned on one part of the gold rows and checked once on the rest
(Halterman & Keith 2025). Stratifying by a column keeps rare groups in the sample.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

DEV, TEST = "dev", "test"


@dataclass
class Sample:
    """Rows drawn for hand coding, in the order a person codes them."""

    row_ids: list[str]
    seed: int
    size: int
    stratify_by: str | None = None
    split: dict[str, str] = field(default_factory=dict)  # row_id -> "dev" | "test"

    def part(self, name: str) -> list[str]:
        """The row ids of the "dev" or "test" part, in sample order."""
        return [rid for rid in self.row_ids if self.split.get(rid) == name]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Sample:
        return cls(**raw)


def _allocate(sizes: list[int], total: int) -> list[int]:
    """Proportional allocation by largest remainder; every stratum gets at most its size."""
    population = sum(sizes)
    exact = [total * s / population for s in sizes]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(sizes)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def draw_sample(
    ids: Sequence[str],
    size: int,
    seed: int,
    strata: Sequence[str] | None = None,
    dev_share: float = 0.5,
    stratify_by: str | None = None,
) -> Sample:
    """A random sample of ``size`` ids (all when fewer), stratified when ``strata`` (one per id) is given.

    Within each stratum a ``dev_share`` of the drawn rows goes to development, the rest to test,
    so both parts keep the strata's proportions. The same ids, size and seed give the same sample.
    """
    if strata is not None and len(strata) != len(ids):
        raise ValueError("strata needs one value per id")
    rng = np.random.default_rng(seed)
    size = max(0, min(size, len(ids)))
    groups: dict[str, list[int]] = defaultdict(list)
    for position in range(len(ids)):
        groups[strata[position] if strata is not None else ""].append(position)
    keys = sorted(groups)
    chosen: list[int] = []
    split: dict[str, str] = {}
    for key, count in zip(keys, _allocate([len(groups[k]) for k in keys], size) if size else [0] * len(keys)):
        picked = rng.choice(groups[key], size=count, replace=False).tolist() if count else []
        n_dev = round(count * dev_share)
        for rank, position in enumerate(picked):
            split[str(ids[position])] = DEV if rank < n_dev else TEST
        chosen += picked
    order = rng.permutation(len(chosen))
    row_ids = [str(ids[chosen[i]]) for i in order]
    return Sample(row_ids=row_ids, seed=seed, size=len(row_ids), stratify_by=stratify_by, split=split)
