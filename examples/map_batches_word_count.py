"""Vectorized WordCount: ``map_batches`` with pyarrow.compute (a flink-py extension).

    flink-py run examples/map_batches_word_count.py [--input text.txt]

``read_text_file`` hands the lines to ``map_batches`` a batch at a time as a
``pyarrow.RecordBatch``; pyarrow splits and counts the words of the whole
batch in C++, and only the per-batch ``(word, count)`` pairs go through the
keyed sum. ``filter_batches`` drops stop words with a boolean mask. The final
count of every word is printed by the client.
"""

import argparse
import os
import tempfile

import pyarrow as pa
import pyarrow.compute as pc

from flink_py.common import Types
from flink_py.datastream import StreamExecutionEnvironment

STOP_WORDS = pa.array(["the", "a", "and", "of", "to"])


def count_words(batch: pa.RecordBatch) -> pa.RecordBatch:
    """(word, count) of every word in a batch of lines."""
    words = pc.list_flatten(pc.utf8_split_whitespace(pc.utf8_lower(batch.column(0))))
    counts = pc.value_counts(words)
    return pa.RecordBatch.from_arrays([counts.field("values"), counts.field("counts")],
                                      names=["f0", "f1"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--input")
    args = parser.parse_args()
    if args.input is None:
        args.input = os.path.join(tempfile.mkdtemp(prefix="map-batches-"), "text.txt")
        with open(args.input, "w") as f:
            f.write("the quick brown fox\njumps over the lazy dog\nThe dog sleeps\n" * 100)

    env = StreamExecutionEnvironment.get_execution_environment()
    totals = (env.read_text_file(args.input)
              .map_batches(count_words, output_type=Types.TUPLE([Types.STRING(), Types.LONG()]))
              .filter_batches(lambda b: pc.invert(pc.is_in(b.column("f0"), STOP_WORDS)))
              .key_by(lambda pair: pair[0])
              .reduce(lambda a, b: (a[0], a[1] + b[1])))
    final = {}
    for word, count in totals.execute_and_collect("map_batches WordCount"):
        final[word] = count
    for word in sorted(final, key=lambda w: (-final[w], w)):
        print(f"{word}: {final[word]}")


if __name__ == "__main__":
    main()
