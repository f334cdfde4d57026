"""Generate Python protobuf and gRPC code from proto/flinkpy/v1/*.proto.

The generated modules are committed, so a fresh clone installs without
grpcio-tools. ``protoc`` writes absolute imports (``from flinkpy.v1 import
common_pb2``); they are rewritten to the installed package path
``flink_py.proto.flinkpy.v1``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from grpc_tools import protoc

HERE = Path(__file__).resolve().parent
OUT = HERE / "flinkpy" / "v1"


def main() -> int:
    protos = sorted(str(p.relative_to(HERE)) for p in OUT.glob("*.proto"))
    args = ["protoc", f"-I{HERE}", f"--python_out={HERE}", f"--pyi_out={HERE}",
            f"--grpc_python_out={HERE}", *protos]
    if protoc.main(args) != 0:
        print("protoc failed", file=sys.stderr)
        return 1
    for path in OUT.glob("*_pb2*.py*"):
        text = path.read_text()
        fixed = re.sub(r"^from flinkpy\.v1 import", "from flink_py.proto.flinkpy.v1 import",
                       text, flags=re.M)
        path.write_text(fixed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
