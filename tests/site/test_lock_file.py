"""requirements.lock pins every runtime dependency pyproject.toml names (``make lock``), so
the image built from it runs what was tested."""

import re
import tomllib

from tests.site.settings_helpers import PROJECT_ROOT


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_runtime_dependency_is_pinned_with_hashes():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    wanted = {
        normalised(re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0])
        for spec in project["dependencies"]
    }
    lock = (PROJECT_ROOT / "requirements.lock").read_text()
    pinned = {normalised(name) for name in re.findall(r"^([A-Za-z0-9_.\-]+)==", lock, re.M)}

    assert wanted - pinned == set(), "run `make lock` after changing the dependencies"
    assert "--hash=sha256:" in lock
