"""Dask worker settings that leave processing its CPU; importing this module applies them.

Two of Dask's worker defaults cost CPU that processing needs (on 2 cores each share of a
worker's CPU is time off the run): the nanny sets ``MALLOC_TRIM_THRESHOLD_=65536``, so glibc
hands memory back after every batch and takes it again (processing 2,500 documents: 14.2 s
CPU instead of 12.4 s, sys 1.9 s instead of 0.5 s), and a statistical profiler samples each
task's stack every 10 ms. An environment that sets the variable itself keeps it.

The local cluster of ``[runner] workers`` imports it before it starts. Workers started by
hand get the same with ``dask worker tcp://SCHEDULER:8786 --nthreads 1 --preload-nanny
newsdigest.flows.leanworker``: the nanny imports a preload before it builds its worker's
environment and configuration (a ``dask_setup`` hook would run too late for both).
"""

from __future__ import annotations

import dask

LEAN = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
}

dask.config.set(LEAN)
