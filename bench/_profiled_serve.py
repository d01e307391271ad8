"""`python bench/_profiled_serve.py OUT.prof serve <service>`: `wushe serve` under cProfile.

Used by bench/pipeline.py when BENCH_PROFILE names the service. The stats are written to OUT.prof
on SIGUSR1 (the benchmark sends it after the measured phases) and again on SIGTERM/SIGINT, which
then end the process at once (uvicorn re-raises the stop signal after its shutdown, which would
otherwise end the process before cProfile could write anything).
"""

from __future__ import annotations

import cProfile
import os
import signal
import sys

OUT = sys.argv[1]
PROFILE = cProfile.Profile()


def _dump() -> None:
    PROFILE.disable()
    PROFILE.dump_stats(OUT + ".tmp")
    os.replace(OUT + ".tmp", OUT)
    PROFILE.enable()


def _on_usr1(signum, frame) -> None:
    _dump()


def _on_stop(signum, frame) -> None:
    PROFILE.disable()
    PROFILE.dump_stats(OUT + ".tmp")
    os.replace(OUT + ".tmp", OUT)
    os._exit(0)


signal.signal(signal.SIGUSR1, _on_usr1)
signal.signal(signal.SIGTERM, _on_stop)

if __name__ == "__main__":
    from deploy.cli import main

    sys.argv = ["wushe", *sys.argv[2:]]
    PROFILE.enable()
    try:
        code = main()
    finally:
        PROFILE.disable()
        PROFILE.dump_stats(OUT)
    sys.exit(code)
