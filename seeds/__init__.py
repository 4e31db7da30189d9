"""Seed data: the shared catalogue and the demo data set (SPEC §8)."""

from seeds.catalogue import seed_catalogue
from seeds.demo import SeedRefused, SeedSummary, seed_demo

__all__ = ["SeedRefused", "SeedSummary", "seed_catalogue", "seed_demo"]
