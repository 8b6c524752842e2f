# unipayd's malloc (docs/DEPLOYMENT.md "Allocator"). jemalloc gives the memory of a burst back
# to the system (glibc keeps partly used pages of its per-thread arenas: 2.8x the pre-load
# RSS a minute after an overload) and spends less CPU in malloc/free under many threads.
#   -DUNIPAY_ALLOCATOR=auto      jemalloc when found, else the system's (default)
#   -DUNIPAY_ALLOCATOR=jemalloc  jemalloc, or stop if it is missing
#   -DUNIPAY_ALLOCATOR=system    glibc's malloc
# Sanitizer builds always use the system allocator: ASan replaces malloc itself.
set(UNIPAY_ALLOCATOR "auto" CACHE STRING "unipayd's malloc: auto | jemalloc | system")
set_property(CACHE UNIPAY_ALLOCATOR PROPERTY STRINGS auto jemalloc system)
if(NOT UNIPAY_ALLOCATOR MATCHES "^(auto|jemalloc|system)$")
  message(FATAL_ERROR "UNIPAY_ALLOCATOR must be auto, jemalloc or system, not '${UNIPAY_ALLOCATOR}'")
endif()

set(UNIPAY_ALLOCATOR_USED system)
if(UNIPAY_SANITIZE)
  if(UNIPAY_ALLOCATOR STREQUAL "jemalloc")
    message(STATUS "UNIPAY_ALLOCATOR=jemalloc ignored: sanitizer builds use the system allocator")
  endif()
elseif(NOT UNIPAY_ALLOCATOR STREQUAL "system")
  find_library(JEMALLOC_LIBRARY NAMES jemalloc)
  if(JEMALLOC_LIBRARY)
    set(UNIPAY_ALLOCATOR_USED jemalloc)
  elseif(UNIPAY_ALLOCATOR STREQUAL "jemalloc")
    message(FATAL_ERROR "UNIPAY_ALLOCATOR=jemalloc but libjemalloc was not found (Debian: libjemalloc-dev)")
  endif()
endif()
message(STATUS "unipayd allocator: ${UNIPAY_ALLOCATOR_USED}")

# Linked by unipayd only: the libraries and tests do not depend on the allocator (the
# allocator statistics in /metrics find jemalloc at run time, net/allocator_stats.cpp).
add_library(unipay_allocator INTERFACE)
if(UNIPAY_ALLOCATOR_USED STREQUAL "jemalloc")
  target_link_libraries(unipay_allocator INTERFACE ${JEMALLOC_LIBRARY})
  target_sources(unipay_allocator INTERFACE ${PROJECT_SOURCE_DIR}/net/jemalloc_conf.cpp)
endif()
