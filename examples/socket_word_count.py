"""Streaming WordCount over a TCP socket (Flink's SocketWindowWordCount, without the window).

Start a text server first, e.g. ``nc -lk 9999``, then

    flink-py run examples/socket_word_count.py --host localhost --port 9999

Every line typed into the server is split into words; the running count of
each word is printed. The job ends when the server closes the connection.
"""

import argparse

from flink_py.common import Types
from flink_py.datastream import StreamExecutionEnvironment


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--port", type=int, default=9999)
    args = parser.parse_args()

    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    (env.socket_text_stream(args.host, args.port)
     .flat_map(lambda line: line.lower().split(), output_type=Types.STRING())
     .map(lambda word: (word, 1), output_type=Types.TUPLE([Types.STRING(), Types.INT()]))
     .key_by(lambda pair: pair[0])
     .reduce(lambda a, b: (a[0], a[1] + b[1]))
     .print())
    env.execute("Socket WordCount")


if __name__ == "__main__":
    main()
