"""Print the directory holding pcre2-config.cmake from the installed `pcre2` wheel.

The wheel installs PCRE2's static library, header and CMake package files as wheel *data*
(under the environment prefix, e.g. lib64/cmake/pcre2/), which plain find_package() does not
search inside pip's isolated build environment. Reading the distribution's file list finds them
wherever pip put them, without importing the package. Exit status 1 when there is none.
"""

import sys
from importlib import metadata


def main() -> int:
    try:
        dist = metadata.distribution("pcre2")
    except metadata.PackageNotFoundError:
        return 1
    for file in dist.files or []:
        if file.name.lower() == "pcre2-config.cmake":
            print(dist.locate_file(file).resolve().parent)
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
