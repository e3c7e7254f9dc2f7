"""The study's DVC stage graph on a Ray cluster: ``python -m xstilts.cluster submit``.

DVC's own queue runs experiments on one machine and gives no GPU to a worker. Here the
submitting machine runs the ``params`` stage itself (so bad params fail before any work),
asks DVC which stages need to run, and hands each one to Ray as a task once the stages it
depends on are done. A training stage takes one GPU where the cluster has GPUs (Ray sets
``CUDA_VISIBLE_DEVICES``), one CPU otherwise.

Each task works in a fresh clone of the repository at the submitting machine's commit, with
its uncommitted changes and ``-S`` overrides applied (both travel in a git bundle through
Ray's object store, so the nodes need no git server). It pulls the outputs of the stages it
reads from the shared DVC remote, runs ``dvc repro --single-item <stage>``, pushes its
outputs and returns its dvc.lock entry with the files DVC does not cache (metrics, the
params stage's files). Results come home by design rather than through DVC's run-cache,
which holds nothing for ``persist: true`` outputs: the submitting machine writes each
returned entry into its dvc.lock (atomically), writes the returned files and pulls the
stage's outputs, so that afterwards ``dvc status`` has nothing to run. Every stage logs to
the one MLflow server of ``tracking.uri``.

A task that fails (its process killed, its node lost) is submitted again, up to
``--retries`` times, in a new clone; stages that finished keep their results, and a later
submission runs only what is still out of date.
"""
