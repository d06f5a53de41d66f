"""Scale-out of the batch commands on Dask (``dask.distributed``): a face over the library, no
contract logic of its own.

``columnar``: notes from CSV or Parquet in chunks, result writers (CSV, Parquet, JSON Lines).
``cluster``: a client for ``--scheduler``/``--cluster local:N``, ``ordered_map`` (partitions
run here or on workers, results in input order, a bounded window in flight) and
``tree_reduce``. ``valuation``: ``value-batch`` in partitions with the batch kernel
(``pipedeal.valuation.batch.price_notes``), scenarios and risk aggregates. ``filings``:
``extract --jsonl`` partitioned by file, resumable by content hash. ``cli``: what the commands
call. Deployment: ``docs/scale.md``.
"""
