"""WordCount: the streaming "hello world" of Flink, on flink-py.

Run it with ``flink-py run examples/word_count.py`` (embedded local cluster)
or ``flink-py run -m HOST:6123 -p 2 examples/word_count.py`` on a cluster.
"""

from flink_py.common import Types
from flink_py.datastream import StreamExecutionEnvironment

TEXT = [
    "To be, or not to be, that is the question:",
    "Whether 'tis nobler in the mind to suffer",
    "The slings and arrows of outrageous fortune,",
    "Or to take arms against a sea of troubles",
    "And by opposing end them. To die: to sleep;",
]


def main() -> None:
    env = StreamExecutionEnvironment.get_execution_environment()
    (
        env.from_collection(TEXT, type_info=Types.STRING())
        .flat_map(lambda line: line.lower().replace(",", " ").replace(".", " ").split(),
                  output_type=Types.STRING())
        .map(lambda word: (word, 1), output_type=Types.TUPLE([Types.STRING(), Types.INT()]))
        .key_by(lambda pair: pair[0])
        .reduce(lambda a, b: (a[0], a[1] + b[1]))
        .print()
    )
    env.execute("WordCount")


if __name__ == "__main__":
    main()
