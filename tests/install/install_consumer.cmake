# SPDX-License-Identifier: MIT
# tests/install/install_consumer.cmake - run with cmake -P, from ctest:
#   -DBUILD_DIR=<ivp build> -DWORK=<scratch folder> -DSRC=<tests/install> -DLIBDIR=<lib dir name>
#   -DCC=<C compiler> -DGENERATOR=<CMake generator>
# Installs the build into WORK/prefix, then builds consumer/ outside the tree against it twice
# (pkg-config, and find_package(ivp)), runs the programs, and checks with readelf and ldd that
# they link libivp but none of HDF5, cJSON, libdl, LAPACK/BLAS or SuiteSparse.
cmake_minimum_required(VERSION 3.20)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  message(STATUS "$ ${ARGN}\n${out}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "FAILED (exit ${rc}): ${ARGN}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

set(prefix ${WORK}/prefix)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(f include/ivp/solve.h include/ivp/ctx.h include/ivp/version.h include/ivp_plugin.h
          ${LIBDIR}/pkgconfig/ivp.pc ${LIBDIR}/cmake/ivp/ivpConfig.cmake bin/ivp)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()

# The installed ivp runs from the prefix (its RUNPATH finds the libraries there).
run(${prefix}/bin/ivp --version)
file(STRINGS ${prefix}/include/ivp/version.h _v REGEX "#define IVP_VERSION \"")
string(REGEX REPLACE ".*\"(.*)\".*" "\\1" version "${_v}")
if(NOT out MATCHES "^ivp ${version} ")
  message(FATAL_ERROR "installed ivp --version does not say ${version}")
endif()

# 1. pkg-config
set(ENV{PKG_CONFIG_PATH} ${prefix}/${LIBDIR}/pkgconfig)
run(pkg-config --modversion ivp)
string(STRIP "${out}" pcver)
if(NOT pcver STREQUAL version)
  message(FATAL_ERROR "pkg-config says ivp ${pcver}, version.h ${version}")
endif()
run(pkg-config --cflags --libs ivp)
separate_arguments(pcflags UNIX_COMMAND "${out}")
# A sanitizer build's libraries need the sanitizer runtime first in the program too.
set(san "")
if(SANITIZE)
  set(san -fsanitize=address,undefined)
endif()
set(programs "")
foreach(p explicit implicit)
  run(${CC} -std=c17 -O2 ${san} ${SRC}/consumer/${p}.c ${pcflags} -lm
      -Wl,-rpath,${prefix}/${LIBDIR} -o ${WORK}/${p}_pc)
  list(APPEND programs ${WORK}/${p}_pc)
endforeach()

# 2. find_package(ivp)
run(${CMAKE_COMMAND} -S ${SRC}/consumer -B ${WORK}/cmake -G ${GENERATOR}
    -DCMAKE_C_COMPILER=${CC} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release
    "-DCMAKE_C_FLAGS=${san}" "-DCMAKE_EXE_LINKER_FLAGS=${san}")
run(${CMAKE_COMMAND} --build ${WORK}/cmake)
list(APPEND programs ${WORK}/cmake/explicit ${WORK}/cmake/implicit)

# 3. run them; check what they link
set(forbidden hdf5 cjson libdl\\. lapack openblas blas klu umfpack amd\\. gfortran)
foreach(prog IN LISTS programs)
  run(${prog})
  run(readelf -d ${prog})
  if(NOT out MATCHES "NEEDED[^\n]*libivp\\.so")
    message(FATAL_ERROR "${prog} does not link libivp")
  endif()
  set(needed "${out}")
  run(ldd ${prog})
  set(ldd "${out}")
  foreach(lib IN LISTS forbidden)
    if(needed MATCHES "NEEDED[^\n]*${lib}" OR ldd MATCHES "(^|\n)[ \t]*[^\n]*${lib}[^\n]*=>")
      message(FATAL_ERROR "${prog} links ${lib}:\n${needed}\n${ldd}")
    endif()
  endforeach()
endforeach()
message(STATUS "installed tree: ${version}; ${programs} built, ran, and link libivp without "
               "HDF5, cJSON, libdl, LAPACK/BLAS or SuiteSparse")
