"""Builds the jointnlu Python package against an installed libjointnlu.

Where the library is: $JOINTNLU_PREFIX (the prefix given to `cmake --install`), else
`pkg-config jointnlu` (PKG_CONFIG_PATH may point into that prefix's lib/pkgconfig).

    cmake --install build --prefix /opt/jointnlu
    JOINTNLU_PREFIX=/opt/jointnlu pip install --no-build-isolation ./python
"""
import os
import shlex
import subprocess
import sys

from pybind11.setup_helpers import Pybind11Extension
from setuptools import setup


def _from_pkg_config():
    try:
        out = subprocess.run(["pkg-config", "--cflags-only-I", "--libs-only-L", "jointnlu"],
                             check=True, capture_output=True, text=True).stdout
        libdir = subprocess.run(["pkg-config", "--variable=libdir", "jointnlu"],
                                check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    flags = shlex.split(out)
    includes = [f[2:] for f in flags if f.startswith("-I")]
    return includes, [libdir]


def _library_location():
    prefix = os.environ.get("JOINTNLU_PREFIX")
    if prefix:
        for libdir in ("lib", "lib64", os.path.join("lib", "x86_64-linux-gnu")):
            if os.path.exists(os.path.join(prefix, libdir, "libjointnlu.so")):
                return [os.path.join(prefix, "include")], [os.path.join(prefix, libdir)]
        sys.exit(f"setup.py: JOINTNLU_PREFIX={prefix} holds no lib*/libjointnlu.so; "
                 "run `cmake --install BUILD --prefix {prefix}` first")
    found = _from_pkg_config()
    if found:
        return found
    sys.exit("setup.py: libjointnlu not found: set JOINTNLU_PREFIX to the prefix given to "
             "`cmake --install`, or PKG_CONFIG_PATH to its lib/pkgconfig")


def _version(include_dirs):
    """The installed library's version, from its jointnlu/export.h (the one place it is set)."""
    for d in include_dirs:
        header = os.path.join(d, "jointnlu", "export.h")
        if os.path.exists(header):
            parts = {}
            for line in open(header, encoding="utf-8"):
                words = line.split()
                if len(words) == 3 and words[1].startswith("JOINTNLU_VERSION_"):
                    parts[words[1][len("JOINTNLU_VERSION_"):]] = words[2]
            return f"{parts['MAJOR']}.{parts['MINOR']}.{parts['PATCH']}"
    sys.exit(f"setup.py: no jointnlu/export.h under {include_dirs}")


include_dirs, library_dirs = _library_location()

setup(
    name="jointnlu",
    version=_version(include_dirs),
    description="Joint domain, intent and slot parsing (Python binding of libjointnlu)",
    packages=["jointnlu"],
    package_data={"jointnlu": ["py.typed", "*.pyi"]},
    ext_modules=[
        Pybind11Extension(
            "jointnlu._jointnlu",
            ["src/module.cc"],
            include_dirs=include_dirs,
            library_dirs=library_dirs,
            runtime_library_dirs=library_dirs,  # the module finds libjointnlu.so without LD_LIBRARY_PATH
            libraries=["jointnlu"],
            cxx_std=17,
        )
    ],
    python_requires=">=3.9",
    zip_safe=False,
)
