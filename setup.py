"""Map the repository's code folders onto the single ``flink_py`` namespace.

``flink_py`` itself is a PEP 420 namespace (it has no folder of its own); each
code folder of the repository is one of its subpackages:

=====================  ======================
import name            folder
=====================  ======================
flink_py.common        common/
flink_py.client        client/ (without client/datastream, client/metrics)
flink_py.datastream    client/datastream/
flink_py.metrics       client/metrics/
flink_py.jobmanager    jobmanager/
flink_py.taskmanager   taskmanager/
flink_py.proto         proto/ (generated protobuf + gRPC code)
=====================  ======================
"""

from setuptools import find_packages, setup

ROOTS = {
    "flink_py.common": ("common", []),
    "flink_py.client": ("client", ["datastream", "datastream.*", "metrics", "metrics.*"]),
    "flink_py.datastream": ("client/datastream", []),
    "flink_py.metrics": ("client/metrics", []),
    "flink_py.jobmanager": ("jobmanager", []),
    "flink_py.taskmanager": ("taskmanager", []),
    "flink_py.proto": ("proto", []),
}

packages: list[str] = []
package_dir: dict[str, str] = {}
for name, (folder, exclude) in ROOTS.items():
    package_dir[name] = folder
    packages.append(name)
    packages += [f"{name}.{sub}" for sub in find_packages(folder, exclude=exclude)]

setup(
    packages=packages,
    package_dir=package_dir,
    package_data={"flink_py.common": ["py.typed", "runtime/defaults.yaml"]},
)
