"""The model and texts the tests run on, from the environment (scripts/check_install.sh sets them):

JOINTNLU_TEST_MODEL   a student model (exported .safetensors file or checkpoint directory)
JOINTNLU_TEST_TEXTS   a file of texts, one per line
JOINTNLU_TEST_CPP     the C++ API's parses of those texts (examples/parse.cc), one JSON per line
"""
import json
import os

import pytest


def _required(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set (see python/tests/conftest.py; scripts/check_install.sh "
                    "sets it)", pytrace=False)
    return value


@pytest.fixture(scope="session")
def model_path():
    return _required("JOINTNLU_TEST_MODEL")


@pytest.fixture(scope="session")
def texts():
    with open(_required("JOINTNLU_TEST_TEXTS"), encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f]
    assert lines, "no texts"
    return lines


@pytest.fixture(scope="session")
def cpp_lines():
    with open(_required("JOINTNLU_TEST_CPP"), encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


@pytest.fixture(scope="session")
def parser(model_path):
    import jointnlu

    return jointnlu.Parser(model_path)


def as_json(line):
    return json.loads(line)
