"""python -m trustpub: run the trustpub binary with this command's arguments."""

import os
import sys

from trustpub import find_trustpub_bin


def main():
    try:
        binary = find_trustpub_bin()
    except FileNotFoundError as e:
        sys.stderr.write("trustpub: %s\n" % e)
        sys.exit(2)
    argv = [binary] + sys.argv[1:]
    if sys.platform == "win32":
        # Windows has no exec that keeps the process: run it and pass on its
        # exit status (Ctrl-C reaches the child through the console).
        import subprocess

        try:
            sys.exit(subprocess.call(argv))
        except KeyboardInterrupt:
            sys.exit(130)
    os.execv(binary, argv)


if __name__ == "__main__":
    main()
