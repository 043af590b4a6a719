# libjointnlu.so: the public API of include/jointnlu (C++ and C) over the runtime, with everything
# else private. Its own objects are the two API files; the runtime and core come in as static,
# position-independent archives compiled with hidden visibility, and a linker version script keeps
# the symbols of inlined third-party and standard-library templates out of the dynamic table too.
# `cmake --install` puts the headers, the library, jointnluConfig.cmake (find_package(jointnlu) ->
# jointnlu::jointnlu) and jointnlu.pc under the prefix.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

add_library(jointnlu_shared SHARED src/runtime/api_c.cc src/runtime/api_parser.cc)
target_link_libraries(jointnlu_shared PRIVATE jointnlu_runtime Threads::Threads)
target_include_directories(jointnlu_shared PUBLIC
  $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_compile_options(jointnlu_shared PRIVATE ${JOINTNLU_WARNINGS})
target_compile_definitions(jointnlu_shared PRIVATE JOINTNLU_BUILDING_LIBRARY=1)
set(JOINTNLU_VERSION_SCRIPT ${CMAKE_CURRENT_SOURCE_DIR}/cmake/jointnlu.map)
target_link_options(jointnlu_shared PRIVATE "LINKER:--version-script=${JOINTNLU_VERSION_SCRIPT}")
if(NOT JOINTNLU_SANITIZE)  # sanitizer runtimes come with the executable, not the library
  target_link_options(jointnlu_shared PRIVATE "LINKER:--no-undefined")
endif()
set_target_properties(jointnlu_shared PROPERTIES
  OUTPUT_NAME jointnlu EXPORT_NAME jointnlu
  VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}
  CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
  LINK_DEPENDS ${JOINTNLU_VERSION_SCRIPT})
add_library(jointnlu::jointnlu ALIAS jointnlu_shared)

# The in-tree example: the C program of examples/, linked against the shared library.
add_executable(jointnlu_parse_example examples/parse.c)
target_link_libraries(jointnlu_parse_example PRIVATE jointnlu::jointnlu)
target_compile_options(jointnlu_parse_example PRIVATE -Wall -Wextra -std=c99 -pedantic)
set_target_properties(jointnlu_parse_example PROPERTIES OUTPUT_NAME parse_example)
if(JOINTNLU_SANITIZE)
  # UBSan's C++ runtime (vptr checks inside the library) comes only with the C++ driver.
  set_target_properties(jointnlu_parse_example PROPERTIES LINKER_LANGUAGE CXX)
endif()

install(TARGETS jointnlu_shared EXPORT jointnluTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev)
install(FILES include/jointnlu/jointnlu.h include/jointnlu/jointnlu_c.h include/jointnlu/export.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/jointnlu COMPONENT dev)
set(JOINTNLU_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/jointnlu)
install(EXPORT jointnluTargets NAMESPACE jointnlu:: DESTINATION ${JOINTNLU_CMAKE_DIR} COMPONENT dev)
configure_package_config_file(cmake/jointnluConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/jointnluConfig.cmake INSTALL_DESTINATION ${JOINTNLU_CMAKE_DIR})
# 0.x: a minor release may break the API (the SONAME says which ABI).
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/jointnluConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
# Relocatable: the prefix is found from where the .pc file lies, so `cmake --install --prefix`
# anywhere gives a working file.
file(RELATIVE_PATH JOINTNLU_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" JOINTNLU_PC_TO_PREFIX "${JOINTNLU_PC_TO_PREFIX}")
configure_file(cmake/jointnlu.pc.in ${CMAKE_CURRENT_BINARY_DIR}/jointnlu.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/jointnluConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/jointnluConfigVersion.cmake
        DESTINATION ${JOINTNLU_CMAKE_DIR} COMPONENT dev)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/jointnlu.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
