# SPDX-License-Identifier: MIT
# acore-install-pc.cmake - run by `cmake --install` (see the install(CODE)
# in CMakeLists.txt): writes acore.pc for the prefix chosen at install time
# (so `cmake --install build --prefix /some/where` gets a correct .pc) and
# installs it; file(INSTALL) honours DESTDIR.
set(ACORE_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
foreach(kind LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${ACORE_PC_${kind}}")
    set(ACORE_PC_${kind}_FULL "${ACORE_PC_${kind}}")
  else()
    set(ACORE_PC_${kind}_FULL "\${prefix}/${ACORE_PC_${kind}}")
  endif()
endforeach()
if(IS_ABSOLUTE "${ACORE_PC_LIBDIR}")
  set(_acore_pc_dest "${ACORE_PC_LIBDIR}/pkgconfig")
else()
  set(_acore_pc_dest "${CMAKE_INSTALL_PREFIX}/${ACORE_PC_LIBDIR}/pkgconfig")
endif()
configure_file("${ACORE_PC_IN}" "${ACORE_PC_OUT}" @ONLY)
file(INSTALL "${ACORE_PC_OUT}" DESTINATION "${_acore_pc_dest}")
