# Strict warnings on our own code only; third-party headers come in as SYSTEM.
# -Wno-maybe-uninitialized: g++ 12 reports false positives inside std::variant's move
# constructor at -O2 (GCC bug 105593 family).
# Warnings are errors only where we choose the compiler (dev and CI builds: scripts/build.sh
# turns UNIPAY_WERROR on): a user's newer or older compiler may warn about something new,
# and that must not stop them from building a release.
option(UNIPAY_WERROR "Treat compiler warnings as errors (dev and CI builds)" OFF)
add_library(unipay_warnings INTERFACE)
target_compile_options(unipay_warnings INTERFACE -Wall -Wextra -Wno-missing-field-initializers
  -Wno-maybe-uninitialized)
if(UNIPAY_WERROR)
  target_compile_options(unipay_warnings INTERFACE -Werror)
endif()
target_compile_definitions(unipay_warnings INTERFACE OPENSSL_API_COMPAT=30000 OPENSSL_NO_DEPRECATED
  BOOST_ASIO_NO_DEPRECATED)

if(UNIPAY_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# unipay_add_library(name SOURCES ... DEPS ...): one library per folder.
function(unipay_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE unipay_warnings)
endfunction()

# unipay_add_test(name SOURCES ... DEPS ... LABELS ...): one gtest binary registered with ctest.
function(unipay_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS;FIXTURES" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest_main unipay_warnings)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT 300)
  if(ARG_FIXTURES)
    set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED "${ARG_FIXTURES}"
      ENVIRONMENT "UNIPAY_TEST_DATABASE_URL=${UNIPAY_TEST_DATABASE_URL}")
  endif()
endfunction()
