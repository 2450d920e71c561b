# cmake -DVERSION_FILE=<acoreConfigVersion.cmake> -DWANT=<version> -P version_probe.cmake
# Evaluates the version file the way find_package() does and prints
# "compatible" or "incompatible" (tests/package/package_test.py).
set(PACKAGE_FIND_NAME acore)
set(PACKAGE_FIND_VERSION "${WANT}")
string(REPLACE "." ";" _parts "${WANT}.0.0")
list(GET _parts 0 PACKAGE_FIND_VERSION_MAJOR)
list(GET _parts 1 PACKAGE_FIND_VERSION_MINOR)
set(CMAKE_SIZEOF_VOID_P 8)
include("${VERSION_FILE}")
if(PACKAGE_VERSION_COMPATIBLE AND NOT PACKAGE_VERSION_UNSUITABLE)
  message("compatible ${PACKAGE_VERSION}")
else()
  message("incompatible ${PACKAGE_VERSION}")
endif()
