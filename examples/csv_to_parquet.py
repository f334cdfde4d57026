"""CSV in, Parquet out, Parquet back in: the pyarrow-backed formats.

    flink-py run examples/csv_to_parquet.py [--input sales.csv] [--output out/]

Reads ``region,product,amount`` rows with a header (a sample file is written
when ``--input`` is missing), keeps the sales of at least 10, writes them as
Parquet part files, then reads the Parquet files back and prints the total
amount per region.
"""

import argparse
import os
import random
import tempfile

from flink_py.common import Types
from flink_py.datastream import StreamExecutionEnvironment
from flink_py.datastream.connectors.file_system import BucketAssigner, FileSink, FileSource
from flink_py.datastream.formats.csv import CsvReaderFormat, CsvSchema
from flink_py.datastream.formats.parquet import ParquetBulkWriters, ParquetColumnarRowInputFormat


def write_sample(path: str) -> None:
    rng = random.Random(7)
    with open(path, "w") as f:
        f.write("region,product,amount\n")
        for i in range(1000):
            f.write(f"{rng.choice(['north', 'south', 'east'])},p{i % 17},{rng.randint(1, 40)}\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--input")
    parser.add_argument("--output")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="csv-to-parquet-")
    if args.input is None:
        args.input = os.path.join(work, "sales.csv")
        write_sample(args.input)
    output = args.output or os.path.join(work, "parquet")

    schema = (CsvSchema.builder()
              .add_string_column("region")
              .add_string_column("product")
              .add_number_column("amount", number_type=Types.INT())
              .set_use_header()
              .build())
    row_type = schema.get_type_info()

    env = StreamExecutionEnvironment.get_execution_environment()
    csv = FileSource.for_record_stream_format(CsvReaderFormat.for_schema(schema), args.input)
    (env.from_source(csv.build(), None, "sales.csv")
     .filter(lambda row: row.amount >= 10)
     .map(lambda row: row, output_type=row_type)
     .sink_to(FileSink.for_bulk_format(output, ParquetBulkWriters.for_row_type(row_type))
              .with_bucket_assigner(BucketAssigner.base_path_bucket_assigner())
              .build()))
    env.execute("CSV to Parquet")

    parquet = FileSource.for_bulk_file_format(ParquetColumnarRowInputFormat(row_type), output)
    totals = (env.from_source(parquet.build(), None, "parquet")
              .map(lambda row: (row.region, row.amount),
                   output_type=Types.TUPLE([Types.STRING(), Types.INT()]))
              .key_by(lambda t: t[0])
              .reduce(lambda a, b: (a[0], a[1] + b[1])))
    final = {}
    for region, amount in totals.execute_and_collect("Parquet totals"):
        final[region] = amount
    for region in sorted(final):
        print(f"{region}: {final[region]}")


if __name__ == "__main__":
    main()
