"""WordCount from files to files: FileSource, a keyed rolling sum, FileSink.

    flink-py run examples/file_word_count.py --input data/ --output out/
    flink-py run -m HOST:6123 -p 2 examples/file_word_count.py --input /shared/in --output /shared/out

``--input`` is a file or a directory (every file below it; large files are
read in parallel byte ranges). Without ``--input`` a small sample text is
written to a temporary directory first. The counts go to part files
``wc-<uid>-<subtask>-<n>.txt`` directly in ``--output`` (one line per update
of a word's count, as Flink's streaming WordCount writes them).
"""

import argparse
import os
import re
import tempfile

from flink_py.common import Encoder, Types
from flink_py.datastream import StreamExecutionEnvironment
from flink_py.datastream.connectors.file_system import (
    BucketAssigner,
    FileSink,
    FileSource,
    OutputFileConfig,
    RollingPolicy,
    StreamFormat,
)

SAMPLE = """To be, or not to be, that is the question:
Whether 'tis nobler in the mind to suffer
The slings and arrows of outrageous fortune,
Or to take arms against a sea of troubles
And by opposing end them. To die: to sleep;
"""


def tokenize(line: str) -> list[str]:
    """Lower-case words, split on non-word characters (empty tokens dropped)."""
    return [w for w in re.split(r"\W+", line.lower()) if w]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", help="file or directory to read")
    parser.add_argument("--output", help="directory for the part files")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="file-word-count-")
    if args.input is None:
        args.input = os.path.join(work, "input.txt")
        with open(args.input, "w") as f:
            f.write(SAMPLE)
    output = args.output or os.path.join(work, "output")

    env = StreamExecutionEnvironment.get_execution_environment()
    source = (FileSource.for_record_stream_format(StreamFormat.text_line_format(), args.input)
              .process_static_file_set().build())
    sink = (FileSink.for_row_format(output, Encoder.simple_string_encoder())
            .with_bucket_assigner(BucketAssigner.base_path_bucket_assigner())
            .with_output_file_config(OutputFileConfig.builder().with_part_prefix("wc")
                                     .with_part_suffix(".txt").build())
            .with_rolling_policy(RollingPolicy.default_rolling_policy(part_size=1 << 20))
            .build())
    (env.from_source(source, None, "text files")
     .flat_map(tokenize, output_type=Types.STRING())
     .map(lambda w: (w, 1), output_type=Types.TUPLE([Types.STRING(), Types.INT()]))
     .key_by(lambda t: t[0])
     .reduce(lambda a, b: (a[0], a[1] + b[1]))
     .sink_to(sink))
    env.execute("File WordCount")
    print(f"Results written to {output}")


if __name__ == "__main__":
    main()
