"""The account pool: deterministic companies that several leads can belong to.

A company is a pure function of (seed, index), so the pool needs no memory beyond a small
cache, whatever the number of leads. Names and domains are unique inside a pool: the index is
mapped to a (prefix, suffix) pair by a bijection, and a generation number disambiguates pools
larger than the number of pairs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from leadpact.adapters.synthetic import catalog

_PAIRS = len(catalog.COMPANY_PREFIXES) * len(catalog.COMPANY_SUFFIXES)
_STRIDE = 7919  # a prime not dividing _PAIRS: index → pair is a bijection on [0, _PAIRS)
# Larger companies produce more leads (more people, more projects): acceptance by band.
_BAND_LEAD_PROPENSITY = (0.35, 0.6, 0.85, 1.0, 1.0)


@dataclass(frozen=True, slots=True)
class Company:
    group_id: str
    name: str
    domain: str
    industry: str
    employees: int
    country: str
    band: int

    def traits(self) -> dict[str, object]:
        return {
            "name": self.name,
            "industry": self.industry,
            "employees": self.employees,
            "country": self.country,
            "domain": self.domain,
        }


class CompanyPool:
    def __init__(self, seed: int, size: int) -> None:
        self.seed = seed
        self.size = max(1, size)
        self.get = lru_cache(maxsize=4096)(self._make)

    def pick(self, rng: random.Random) -> Company:
        while True:
            company = self.get(rng.randrange(self.size))
            if rng.random() < _BAND_LEAD_PROPENSITY[company.band]:
                return company

    def _make(self, index: int) -> Company:
        rng = random.Random(f"company:{self.seed}:{index}")
        generation, slot = divmod(index, _PAIRS)
        pair = (slot * _STRIDE) % _PAIRS
        prefix, prefix_r = catalog.COMPANY_PREFIXES[pair % len(catalog.COMPANY_PREFIXES)]
        suffix, suffix_r, industry, corporation = catalog.COMPANY_SUFFIXES[pair // len(catalog.COMPANY_PREFIXES)]
        region = ""
        if generation:
            region = catalog.REGION_NAMES[(generation - 1) % len(catalog.REGION_NAMES)]
            prefix_r = f"{prefix_r}{generation + 1}"
        base = f"{prefix}{region}{suffix}"
        name = f"株式会社{base}" if corporation and rng.random() < 0.4 else base
        if corporation and name == base:
            name = f"{base}株式会社"
        band = rng.choices(range(len(catalog.EMPLOYEE_BANDS)), catalog.EMPLOYEE_BAND_WEIGHTS)[0]
        low, high = catalog.EMPLOYEE_BANDS[band]
        employees = int(low * (high / low) ** rng.random())  # log-uniform inside the band
        country = rng.choices(catalog.COUNTRIES, catalog.COUNTRY_WEIGHTS)[0]
        return Company(
            group_id=f"C{self.seed}-{index:06d}",
            name=name,
            domain=f"{prefix_r}-{suffix_r}.example",
            industry=industry,
            employees=employees,
            country=country,
            band=band,
        )


def competitor() -> Company:
    c = catalog.COMPETITOR
    return Company(
        group_id=str(c["group_id"]),
        name=str(c["name"]),
        domain=str(c["domain"]),
        industry=str(c["industry"]),
        employees=int(str(c["employees"])),
        country=str(c["country"]),
        band=2,
    )
