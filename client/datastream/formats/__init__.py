"""File formats (``pyflink.datastream.formats``): :mod:`.csv` and :mod:`.parquet`, via pyarrow."""
