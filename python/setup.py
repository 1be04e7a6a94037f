"""Builds the sqlite_joblib wheel: the Python code plus the loadable module
joblib0.so, which is C and comes from one of, in this order:

  1. SQLITE_JOBLIB_MODULE=/path/to/joblib0.so   a module already built
  2. SQLITE_JOBLIB_BUILD_DIR=/path/to/build     a CMake build tree of
                                                 sqlite-joblib (its joblib0.so)
  3. CMake: configures and builds the target `joblib` of the source tree
     (SQLITE_JOBLIB_SOURCE, default: the directory above this one) in the
     setuptools build directory, Release, no tests (needs cmake, a C
     compiler and the -dev packages of scripts/install-deps)

Offline with Debian's pip, setuptools and wheel:

    pip install --no-build-isolation --no-index ./python
"""
import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
MODULE = "joblib0.so"


class BinaryDistribution(Distribution):
    """The wheel holds a shared object: tag it for this platform."""

    def has_ext_modules(self):
        return True


def cmake_build(build_temp):
    source = os.environ.get("SQLITE_JOBLIB_SOURCE", os.path.dirname(HERE))
    if not os.path.isfile(os.path.join(source, "CMakeLists.txt")):
        raise SystemExit(
            "sqlite_joblib: no joblib0.so to package. Set SQLITE_JOBLIB_MODULE to a built "
            "joblib0.so, SQLITE_JOBLIB_BUILD_DIR to a CMake build tree, or SQLITE_JOBLIB_SOURCE "
            "to the sqlite-joblib source tree (not found at %s)" % source)
    build = os.path.join(os.path.abspath(build_temp), "cmake")
    cmake = os.environ.get("CMAKE", "cmake")
    subprocess.check_call([cmake, "-S", source, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                           "-DJL_TESTS=OFF"])
    subprocess.check_call([cmake, "--build", build, "--target", "joblib", "-j",
                           os.environ.get("SQLITE_JOBLIB_JOBS", "2")])
    return os.path.join(build, MODULE)


def find_module(build_temp):
    if os.environ.get("SQLITE_JOBLIB_MODULE"):
        return os.environ["SQLITE_JOBLIB_MODULE"]
    if os.environ.get("SQLITE_JOBLIB_BUILD_DIR"):
        return os.path.join(os.environ["SQLITE_JOBLIB_BUILD_DIR"], MODULE)
    return cmake_build(build_temp)


class BuildPy(build_py):
    """Copies the Python package, then puts joblib0.so beside it."""

    def run(self):
        super().run()
        build_temp = self.get_finalized_command("build").build_temp
        module = find_module(build_temp)
        if not os.path.isfile(module):
            raise SystemExit("sqlite_joblib: %s does not exist" % module)
        target = os.path.join(self.build_lib, "sqlite_joblib", MODULE)
        self.mkpath(os.path.dirname(target))
        shutil.copyfile(module, target)
        print("sqlite_joblib: packaged %s" % module)


setup(distclass=BinaryDistribution, cmdclass={"build_py": BuildPy})
