"""``python -m benchmarks run``: every figure of issue 13 in one table (``benchmarks.run``)."""

from __future__ import annotations

import sys

from benchmarks.run import main

if __name__ == "__main__":
    if sys.argv[1:2] != ["run"]:
        sys.exit("usage: python -m benchmarks run [--clients N] [--database-url URL] ...")
    main(sys.argv[2:])
