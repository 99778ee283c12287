"""trustpub: publish Python distributions with Trusted Publishing.

trustpub is a single static binary; this wheel installs it as a script
(``trustpub``) and this package only finds it, so that ``python -m trustpub``
runs it too. The project: https://github.com/trustpub/trustpub
"""

import os
import sys
import sysconfig

__all__ = ["find_trustpub_bin"]

_EXE = "trustpub" + (sysconfig.get_config_var("EXE") or "")


def _scripts_dirs():
    """Yield, most likely first, the directories an installer may have put
    this wheel's scripts in, as it put this package in its library dir."""
    # The scheme of the running interpreter (a venv's bin, or the system's).
    yield sysconfig.get_path("scripts")
    # pip install --user.
    if hasattr(sysconfig, "get_preferred_scheme"):
        user_scheme = sysconfig.get_preferred_scheme("user")
    else:  # Python < 3.10
        user_scheme = os.name + "_user"
    if user_scheme in sysconfig.get_scheme_names():
        yield sysconfig.get_path("scripts", user_scheme)
    # pip install --target DIR puts the package in DIR and scripts in DIR/bin
    # (DIR\Scripts on Windows).
    libdir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    yield os.path.join(libdir, "bin")
    yield os.path.join(libdir, "Scripts")
    # pip install --prefix P (or --root): the library dir is P + the scheme's
    # relative library path, and the scripts dir is P + its scripts path.
    for scheme in sysconfig.get_scheme_names():
        marker = os.path.join(os.sep, "base-marker")
        paths = sysconfig.get_paths(scheme, vars={"base": marker, "platbase": marker})
        for key in ("purelib", "platlib"):
            rel = os.path.relpath(paths[key], marker)
            if rel != os.curdir and libdir.endswith(os.sep + rel):
                prefix = libdir[: -len(rel) - 1]
                yield os.path.join(prefix, os.path.relpath(paths["scripts"], marker))


def find_trustpub_bin():
    """Return the path of the trustpub binary installed with this package.

    Raises FileNotFoundError, naming every directory searched, when it is
    not there (a broken or partial install).
    """
    searched = []
    for directory in _scripts_dirs():
        if directory in searched:
            continue
        searched.append(directory)
        candidate = os.path.join(directory, _EXE)
        if os.path.isfile(candidate):
            return candidate
    raise FileNotFoundError(
        "the trustpub binary (%s) is not in any scripts directory of this "
        "installation: %s; reinstall the trustpub wheel for this platform "
        "(pip install --force-reinstall trustpub)" % (_EXE, ", ".join(searched))
    )
